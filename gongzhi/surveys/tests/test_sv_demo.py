"""The demo: the template and its schedule, last quarter's survey answered by about 40 % of the houses, the open
survey of this quarter, last quarter's published evaluation; fast and idempotent."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.surveys.choices import EvaluationStatus, SurveyStatus
from gongzhi.surveys.demo import seed_surveys
from gongzhi.surveys.models import Evaluation, Survey

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_quarter_of_surveys_and_its_evaluation(world, member):
    from gongzhi.estate.tests.factories import HouseFactory, ResidencyFactory

    for n in range(60):
        ResidencyFactory(house=HouseFactory(unit=world.houses[0].unit, number=f"9{n:02d}"), estate=world.estate)
    now = timezone.make_aware(datetime.datetime(2026, 11, 21, 10))
    summary = seed_surveys(world.estate, now=now)
    last = Survey.objects.get(pk=summary["last_survey"])
    assert last.status == SurveyStatus.CLOSED and last.period_start == datetime.date(2026, 7, 1)
    assert last.audience_size == 63 and last.responses_count == int(63 * 0.4)
    current = Survey.objects.get(pk=summary["current_survey"])
    assert current.status == SurveyStatus.PUBLISHED and current.period_start == datetime.date(2026, 10, 1)
    evaluation = Evaluation.objects.get(pk=summary["evaluation"])
    assert evaluation.status == EvaluationStatus.PUBLISHED and (evaluation.year, evaluation.quarter) == (2026, 3)
    assert evaluation.score is not None and evaluation.notice_id
    assert seed_surveys(world.estate, now=now) == {"created": False}
