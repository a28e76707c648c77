"""The questionnaire builder: validation that names the field, drafts, publication freezing the questions and the
audience, notifications to the audience, closing."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.notifications.models import Notification
from gongzhi.surveys import builder
from gongzhi.surveys.choices import SurveyStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("question", "field"), [
    ({"kind": "rating", "text": "?"}, "questions[1].kind"),
    ({"kind": "scale", "text": "  "}, "questions[1].text"),
    ({"kind": "single", "text": "Pick", "options": ["Only one"]}, "questions[1].options"),
    ({"kind": "single", "text": "Pick", "options": ["A", "A"]}, "questions[1].options"),
    ({"kind": "scale", "text": "Rate", "options": ["A", "B"]}, "questions[1].options"),
    ({"kind": "multiple", "text": "Pick", "options": ["A", "B"], "max_choices": 3}, "questions[1].max_choices"),
    ({"kind": "single", "text": "Pick", "options": ["A", "B"], "max_choices": 1}, "questions[1].max_choices"),
])
def test_a_bad_question_is_refused_naming_it(world, question, field):
    # Given a question that breaks a rule / When the draft is created / Then 400 names the question's field
    with pytest.raises(DomainError) as caught:
        builder.survey_create(actor=world.manager, title="Bad", questions=[question])
    assert caught.value.status == 400
    assert caught.value.detail["field"] == field


def test_targeting_must_name_buildings_or_houses_of_this_estate(world, other_estate):
    from gongzhi.estate.tests.factories import BuildingFactory

    foreign = BuildingFactory(estate=other_estate)
    with pytest.raises(DomainError) as caught:
        builder.survey_create(actor=world.manager, title="T", target="buildings", building_ids=[foreign.pk])
    assert caught.value.detail["field"] == "building_ids"
    with pytest.raises(DomainError) as caught:
        builder.survey_create(actor=world.manager, title="T", target="houses")
    assert caught.value.detail["field"] == "house_ids"


def test_closing_before_opening_is_refused(world):
    now = timezone.now()
    with pytest.raises(DomainError) as caught:
        builder.survey_create(actor=world.manager, title="T", opens_at=now, closes_at=now)
    assert caught.value.detail["field"] == "closes_at"


def test_residents_and_technicians_cannot_build(world):
    for actor in (world.owner, world.tenant, world.technician):
        with pytest.raises(Forbidden):
            builder.survey_create(actor=actor, title="T")


def test_the_committee_and_customer_service_can_build(make_survey, world):
    assert make_survey(actor=world.chair).status == SurveyStatus.PUBLISHED
    assert make_survey(actor=world.service, publish=False).status == SurveyStatus.DRAFT


def test_a_retried_create_with_the_same_key_makes_one_survey(world):
    first = builder.survey_create(actor=world.manager, title="T", idempotency_key="k1")
    again = builder.survey_create(actor=world.manager, title="T", idempotency_key="k1")
    assert first.pk == again.pk


def test_publishing_freezes_questions_and_notifies_the_owners(make_survey, world, django_capture_on_commit_callbacks):
    # Given a draft for owners / When it is published
    with django_capture_on_commit_callbacks(execute=True):
        survey = make_survey()
    # Then the audience is frozen: the three houses with an owner (house 3 has only a tenant)
    assert survey.audience_size == 3
    # and both owners are notified (kind SURVEY), not the family member nor the tenant
    notified = set(Notification.objects.filter(kind="survey").values_list("user_id", flat=True))
    assert notified == {world.owner.user.pk, world.owner2.user.pk}
    # and the questions can no longer change
    with pytest.raises(Conflict) as caught:
        builder.survey_update(actor=world.manager, survey_id=survey.pk, title="Changed", questions=[])
    assert caught.value.code == "survey_frozen"


def test_publishing_twice_is_a_harmless_retry_and_closing_ends_it(make_survey, world):
    survey = make_survey()
    assert builder.survey_publish(actor=world.manager, survey_id=survey.pk).status == SurveyStatus.PUBLISHED
    closed = builder.survey_close(actor=world.manager, survey_id=survey.pk)
    assert closed.status == SurveyStatus.CLOSED
    with pytest.raises(Conflict):
        builder.survey_publish(actor=world.manager, survey_id=survey.pk)


def test_a_survey_without_questions_cannot_be_published(make_survey, world):
    survey = make_survey(publish=False, questions=[])
    with pytest.raises(DomainError) as caught:
        builder.survey_publish(actor=world.manager, survey_id=survey.pk)
    assert caught.value.detail["field"] == "questions"


def test_due_surveys_are_closed_by_the_task(make_survey, world):
    survey = make_survey(closes_at=timezone.now() + datetime.timedelta(days=1))
    assert builder.surveys_close_due(now=timezone.now() + datetime.timedelta(days=2)) == [survey.pk]
    assert builder.surveys_close_due(now=timezone.now() + datetime.timedelta(days=2)) == []
