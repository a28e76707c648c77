"""Answering: one answer per house (owners' surveys) or per person (all residents), required answers, valid
choices, ranges named by question, targeting (404 not addressed to you, 403 a house outside the target), and
anonymity (nothing in the database links who took part to what was answered)."""

import pytest
from django.db import connection

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.surveys import responses
from gongzhi.surveys.models import Answer, Participation, Response

from .conftest import qids

pytestmark = pytest.mark.django_db


def good(survey) -> dict:
    ids = qids(survey)
    return {ids["gate"]: 0, ids["improve"]: [0, 2], ids["repair_speed"]: 4, ids["nps"]: 9, ids["comments"]: "ok"}


def test_an_owner_answers_once_per_house(make_survey, world):
    # Given an owners' survey and an owner of two houses
    survey = make_survey()
    # When they answer twice without naming a house, each answer goes to the next house
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    assert sorted(Participation.objects.values_list("house_id", flat=True)) == [h.pk for h in world.houses[:2]]
    # Then a third answer is 409 already_answered and changes nothing
    with pytest.raises(Conflict) as caught:
        responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    assert caught.value.code == "already_answered"
    with pytest.raises(Conflict):
        responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey),
                                  house_id=world.houses[0].pk)
    assert Response.objects.count() == 2
    survey.refresh_from_db()
    assert survey.responses_count == 2


def test_a_residents_survey_is_one_answer_per_person(make_survey, world):
    survey = make_survey(audience="residents")
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    responses.response_submit(actor=world.family, survey_id=survey.pk, answers=good(survey))  # same house, own vote
    with pytest.raises(Conflict):
        responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey),
                                  house_id=world.houses[1].pk)
    assert Participation.objects.count() == 2


def test_family_and_tenants_are_not_asked_by_an_owners_survey(make_survey, world):
    survey = make_survey()
    for actor in (world.family, world.tenant):
        with pytest.raises(NotFound):
            responses.response_submit(actor=actor, survey_id=survey.pk, answers=good(survey))


def test_a_house_outside_the_target(make_survey, world):
    # Given a survey of building 1 only
    survey = make_survey(target="buildings", building_ids=[world.buildings[0].pk])
    # Then the owner in building 2 does not see it at all (404)
    with pytest.raises(NotFound):
        responses.response_submit(actor=world.owner2, survey_id=survey.pk, answers=good(survey))
    # and naming one's own house outside the target is 403
    other = make_survey(target="houses", house_ids=[world.houses[0].pk])
    with pytest.raises(Forbidden) as caught:
        responses.response_submit(actor=world.owner, survey_id=other.pk, answers=good(other),
                                  house_id=world.houses[1].pk)
    assert caught.value.code == "house_not_targeted"


@pytest.mark.parametrize(("key", "value", "n"), [
    ("repair_speed", 6, 3), ("repair_speed", 0, 3), ("nps", 11, 4), ("nps", -1, 4), ("gate", 2, 1),
    ("improve", [0, 1, 2], 2), ("improve", [5], 2), ("improve", [0, 0], 2), ("repair_speed", "4", 3),
    ("repair_speed", True, 3), ("repair_speed", None, 3),
])
def test_a_bad_answer_is_400_naming_the_question(make_survey, world, key, value, n):
    survey = make_survey()
    answers = good(survey)
    answers[qids(survey)[key]] = value
    with pytest.raises(DomainError) as caught:
        responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=answers)
    assert caught.value.status == 400 and caught.value.code == "answer_invalid"
    assert caught.value.detail["question"] == n
    assert not Participation.objects.exists() and not Response.objects.exists()


def test_boundaries_of_the_ranges_are_accepted(make_survey, world):
    survey = make_survey()
    for scale, nps, actor in ((1, 0, world.owner), (5, 10, world.owner2)):
        answers = good(survey)
        answers[qids(survey)["repair_speed"]], answers[qids(survey)["nps"]] = scale, nps
        responses.response_submit(actor=actor, survey_id=survey.pk, answers=answers)
    assert Response.objects.count() == 2


def test_a_closed_or_draft_survey_takes_no_answers(make_survey, world):
    from gongzhi.surveys import builder

    draft = make_survey(publish=False)
    with pytest.raises(NotFound):
        responses.response_submit(actor=world.owner, survey_id=draft.pk, answers={})
    survey = make_survey()
    builder.survey_close(actor=world.manager, survey_id=survey.pk)
    with pytest.raises(Conflict) as caught:
        responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    assert caught.value.code == "survey_not_open"


def test_another_estates_survey_is_not_found(make_survey, world, other_estate, actor_for):
    survey = make_survey()
    stranger = actor_for("owner", other_estate)
    with pytest.raises(NotFound):
        responses.response_submit(actor=stranger, survey_id=survey.pk, answers=good(survey))


def test_anonymous_answers_cannot_be_linked_to_who_took_part(make_survey, world):
    # Given an anonymous survey answered by an owner
    survey = make_survey(anonymous=True)
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    # Then the response row has no user, no house and no time, and its key is random (a UUID)
    response = Response.objects.get()
    assert response.respondent_id is None and response.house_id is None
    assert {f.name for f in Response._meta.concrete_fields} == {"id", "estate", "survey", "respondent", "house"}
    assert response.pk.version == 4
    # and no column of the answers names a person, a house or a time
    assert {f.name for f in Answer._meta.concrete_fields} == {"id", "estate", "response", "question", "value",
                                                              "choices", "text"}
    # and the participation shares nothing with the response but the survey (its house column stays empty on an
    # anonymous survey; the ids are of different kinds: a sequence and a random UUID)
    participation = Participation.objects.get()
    assert participation.user_id == world.owner.user.pk
    shared = {f.attname for f in Participation._meta.concrete_fields} & {f.attname for f in
                                                                        Response._meta.concrete_fields}
    assert shared == {"id", "estate_id", "survey_id", "house_id"}
    assert isinstance(participation.pk, int) and not isinstance(response.pk, int)


def test_a_named_survey_keeps_the_respondent(make_survey, world):
    survey = make_survey(anonymous=False)
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    assert Response.objects.get().respondent_id == world.owner.user.pk


def test_responses_and_answers_are_append_only(make_survey, world):
    survey = make_survey()
    responses.response_submit(actor=world.owner, survey_id=survey.pk, answers=good(survey))
    for table in ("surveys_response", "surveys_answer", "surveys_participation"):
        with pytest.raises(Exception), connection.cursor() as cursor:
            from django.db import transaction

            with transaction.atomic():
                cursor.execute(f"DELETE FROM {table}")
