"""The recurring schedule publishes one copy of its template per period, however often it runs."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.surveys import builder, schedule
from gongzhi.surveys.choices import SurveyStatus
from gongzhi.surveys.models import Survey
from gongzhi.surveys.tasks import publish_scheduled_surveys

from .conftest import STANDARD

pytestmark = pytest.mark.django_db


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.fixture
def quarterly(world):
    template = builder.survey_create(actor=world.manager, title="Satisfaction", is_template=True, questions=STANDARD)
    return schedule.schedule_create(actor=world.manager, template_id=template.pk, name="Quarterly", open_days=20)


def test_running_twice_in_a_period_makes_exactly_one_survey(quarterly, world):
    # Given a quarterly schedule / When it runs twice in the same quarter
    first, created = schedule.schedule_run(schedule=quarterly, now=at(datetime.date(2026, 10, 1)))
    again, created_again = schedule.schedule_run(schedule=quarterly, now=at(datetime.date(2026, 12, 30)))
    # Then one published survey exists for the quarter, a copy with the template's question keys
    assert created and not created_again and first.pk == again.pk
    assert first.status == SurveyStatus.PUBLISHED and first.period_start == datetime.date(2026, 10, 1)
    assert [q.key for q in first.questions.all()] == [q["key"] for q in STANDARD]
    assert first.closes_at - first.opens_at == datetime.timedelta(days=20)
    assert first.audience_size == 3
    # and the next quarter gets its own
    nxt, created_next = schedule.schedule_run(schedule=quarterly, now=at(datetime.date(2027, 1, 2)))
    assert created_next and nxt.period_start == datetime.date(2027, 1, 1)
    assert Survey.objects.filter(schedule=quarterly).count() == 2


def test_the_periodic_task_is_idempotent(quarterly):
    publish_scheduled_surveys.call_local()
    publish_scheduled_surveys.call_local()
    assert Survey.objects.filter(schedule=quarterly).count() == 1


def test_a_schedule_needs_a_template_of_this_estate(world, make_survey):
    from gongzhi.core.errors import NotFound

    survey = make_survey()
    with pytest.raises(NotFound):
        schedule.schedule_create(actor=world.manager, template_id=survey.pk, name="x")


def test_a_paused_schedule_publishes_nothing_until_it_is_resumed(quarterly, world):
    # given a quarterly schedule, paused by the manager
    from gongzhi.core.audit import AuditEntry

    paused = schedule.schedule_set_active(actor=world.manager, schedule_id=quarterly.pk, active=False)
    assert paused.active is False
    # when the periodic task runs, then nothing is published
    publish_scheduled_surveys.call_local()
    assert not Survey.objects.filter(schedule=quarterly).exists()
    # pausing again changes nothing and is not audited twice
    schedule.schedule_set_active(actor=world.manager, schedule_id=quarterly.pk, active=False)
    assert AuditEntry.objects.filter(action="survey_schedule.pause").count() == 1
    # when it is resumed, then the next run publishes the current period's survey
    schedule.schedule_set_active(actor=world.manager, schedule_id=quarterly.pk, active=True)
    publish_scheduled_surveys.call_local()
    assert Survey.objects.filter(schedule=quarterly).count() == 1
    assert AuditEntry.objects.filter(action="survey_schedule.resume").count() == 1


def test_only_organisers_pause_a_schedule_and_a_bad_one_is_not_found(quarterly, world):
    from gongzhi.core.errors import DomainError, Forbidden, NotFound

    with pytest.raises(Forbidden):
        schedule.schedule_set_active(actor=world.owner, schedule_id=quarterly.pk, active=False)
    for bad in (0, "x", 10**9):
        with pytest.raises(NotFound):
            schedule.schedule_set_active(actor=world.manager, schedule_id=bad, active=False)
    with pytest.raises(DomainError):
        schedule.schedule_set_active(actor=world.manager, schedule_id=quarterly.pk, active="no")
    quarterly.refresh_from_db()
    assert quarterly.active is True
