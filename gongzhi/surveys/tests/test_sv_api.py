"""The surveys and evaluation API: the story end to end over HTTP, the error shape, permissions, tenant isolation
and the query budgets of the lists."""

import pytest

from gongzhi.surveys import evaluation

from .conftest import STANDARD, qids

pytestmark = pytest.mark.django_db


def url(estate, path=""):
    return f"/api/v1/estates/{estate.pk}/{path}"


def test_build_publish_answer_and_read_results(world, api):
    staff = api(world.manager.user, [world.estate])
    created = staff.post(url(world.estate, "surveys"), {"title": "Q", "questions": STANDARD,
                                                        "results_public": True}, content_type="application/json")
    assert created.status_code == 201, created.content
    survey_id = created.json()["id"]
    assert staff.post(url(world.estate, f"surveys/{survey_id}/publish")).json()["status"] == "published"
    owner = api(world.owner2.user, [world.estate])
    mine = owner.get(url(world.estate, "my/surveys")).json()
    assert [m["survey"]["id"] for m in mine] == [survey_id] and mine[0]["can_answer"]
    questions = {q["key"]: q["id"] for q in owner.get(url(world.estate, f"surveys/{survey_id}")).json()["questions"]}
    body = {"answers": [{"question_id": questions["gate"], "value": 1},
                        {"question_id": questions["improve"], "value": [0]},
                        {"question_id": questions["repair_speed"], "value": 4},
                        {"question_id": questions["nps"], "value": 10}]}
    answered = owner.post(url(world.estate, f"surveys/{survey_id}/responses"), body,
                          content_type="application/json")
    assert answered.status_code == 201, answered.content
    again = owner.post(url(world.estate, f"surveys/{survey_id}/responses"), body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    results = owner.get(url(world.estate, f"surveys/{survey_id}/results")).json()
    assert results["responses"] == 1 and results["response_rate"] == "33.3"
    export = staff.get(url(world.estate, f"surveys/{survey_id}/export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert owner.get(url(world.estate, f"surveys/{survey_id}/export")).status_code == 403


def test_an_out_of_range_answer_is_400_naming_the_question(world, api, make_survey):
    survey = make_survey()
    client = api(world.owner.user, [world.estate])
    ids = qids(survey)
    response = client.post(url(world.estate, f"surveys/{survey.pk}/responses"), {"answers": [
        {"question_id": ids["gate"], "value": 0}, {"question_id": ids["improve"], "value": [1]},
        {"question_id": ids["repair_speed"], "value": 7}, {"question_id": ids["nps"], "value": 5}]},
        content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "answer_invalid" and body["detail"]["question"] == 3
    assert "Question 3" in body["messages"]["en"]


def test_permissions_and_isolation(world, api, make_survey, other_estate, actor_for):
    survey = make_survey()
    tenant = api(world.tenant.user, [world.estate])
    assert tenant.get(url(world.estate, "surveys")).status_code == 403
    assert tenant.post(url(world.estate, "surveys"), {"title": "x"}, content_type="application/json").status_code == 403
    assert tenant.get(url(world.estate, f"surveys/{survey.pk}")).status_code == 404  # not addressed to a tenant
    stranger = actor_for("manager", other_estate)
    client = api(stranger.user, [other_estate])
    assert client.get(url(other_estate, f"surveys/{survey.pk}")).status_code == 404
    assert client.post(url(other_estate, f"surveys/{survey.pk}/publish")).status_code == 404
    assert client.get(url(other_estate, f"surveys/{survey.pk}/results")).status_code == 404
    assert client.get(url(world.estate, "surveys")).status_code == 404


def test_the_survey_list_has_a_query_budget(world, api, make_survey, django_assert_max_num_queries):
    for n in range(6):
        make_survey(title=f"S{n}")
    client = api(world.manager.user, [world.estate])
    with django_assert_max_num_queries(8):
        response = client.get(url(world.estate, "surveys"))
    assert len(response.json()["items"]) == 6


def test_my_surveys_has_a_query_budget(world, api, make_survey, django_assert_max_num_queries):
    for n in range(6):
        make_survey(title=f"S{n}", target="buildings", building_ids=[world.buildings[0].pk])
    client = api(world.owner.user, [world.estate])
    with django_assert_max_num_queries(10):
        response = client.get(url(world.estate, "my/surveys"))
    assert len(response.json()) == 6


def test_the_evaluation_api(world, api, django_assert_max_num_queries):
    chair = api(world.chair.user, [world.estate])
    saved = chair.post(url(world.estate, "contract-items"), {"name": "Cleaning", "question_key": "cleanliness",
                                                             "weight": 2}, content_type="application/json")
    assert saved.status_code == 200, saved.content
    for n in range(4):
        evaluation.contract_item_save(actor=world.chair, name=f"Item {n}", question_key=f"k{n}")
    computed = chair.post(url(world.estate, "evaluations"), {"year": 2026, "quarter": 2},
                          content_type="application/json")
    assert computed.status_code == 200, computed.content
    evaluation_id = computed.json()["id"]
    item_id = computed.json()["items"][0]["id"]
    commented = chair.post(url(world.estate, f"evaluations/{evaluation_id}/comment"),
                           {"comment": "Fine", "items": {str(item_id): "OK"}}, content_type="application/json")
    assert commented.json()["items"][0]["comment"] == "OK"
    manager = api(world.manager.user, [world.estate])
    assert manager.post(url(world.estate, f"evaluations/{evaluation_id}/publish")).status_code == 403
    assert chair.post(url(world.estate, f"evaluations/{evaluation_id}/publish")).json()["status"] == "published"
    owner = api(world.owner.user, [world.estate])
    with django_assert_max_num_queries(6):
        listed = owner.get(url(world.estate, "evaluations"))
    assert [e["id"] for e in listed.json()] == [evaluation_id]
    with django_assert_max_num_queries(6):
        items = owner.get(url(world.estate, "contract-items"))
    assert len(items.json()) == 5
    assert api(world.tenant.user, [world.estate]).get(url(world.estate, "evaluations")).status_code == 403


def test_schedules_are_listed_and_paused_through_the_api(world, api, django_assert_max_num_queries):
    from gongzhi.surveys import builder

    template = builder.survey_create(actor=world.manager, title="Satisfaction", is_template=True, questions=[])
    manager = api(world.manager.user, [world.estate])
    created = manager.post(url(world.estate, "survey-schedules"), {"template_id": template.pk, "name": "Q"},
                           content_type="application/json").json()
    with django_assert_max_num_queries(8):
        listed = manager.get(url(world.estate, "survey-schedules")).json()
    assert [s["id"] for s in listed] == [created["id"]] and listed[0]["active"] is True
    path = url(world.estate, f"survey-schedules/{created['id']}")
    for _ in range(2):  # the same request twice leaves the same state
        paused = manager.patch(path, {"active": False}, content_type="application/json")
        assert paused.status_code == 200 and paused.json()["active"] is False
    bad = manager.patch(path, {"active": "maybe"}, content_type="application/json")
    assert bad.status_code == 422
    owner = api(world.owner.user, [world.estate])
    assert owner.patch(path, {"active": True}, content_type="application/json").status_code == 403
    assert owner.get(url(world.estate, "survey-schedules")).status_code == 403
