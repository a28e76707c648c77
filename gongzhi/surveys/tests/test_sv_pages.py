"""The pages: the builder, results with SVG bars, the resident's list and answer form, the evaluation pages."""

import pytest
from django.urls import reverse

from gongzhi.surveys import evaluation
from gongzhi.surveys.models import Survey

from .conftest import qids

pytestmark = pytest.mark.django_db


def login(client, actor):
    client.force_login(actor.user)
    return client


def test_staff_build_a_survey_on_the_page(client, world):
    login(client, world.manager)
    e = world.estate.pk
    assert client.get(reverse("surveys:list", args=[e])).status_code == 200
    assert client.get(reverse("surveys:new", args=[e])).status_code == 200
    response = client.post(reverse("surveys:new", args=[e]), {
        "title": "Lift survey", "audience": "owners", "target": "all", "anonymous": "1",
        "q-0-text": "Lift speed", "q-0-kind": "scale", "q-0-required": "1", "q-0-order": "2",
        "q-1-text": "Which lift?", "q-1-kind": "single", "q-1-options": "A\nB", "q-1-order": "1",
        "q-2-text": ""})
    survey = Survey.objects.get(title="Lift survey")
    assert response.status_code == 302
    assert [q.text for q in survey.questions.all()] == ["Which lift?", "Lift speed"]
    bad = client.post(reverse("surveys:detail", args=[e, survey.pk]), {
        "title": "Lift survey", "audience": "owners", "target": "all", "q-0-text": "Pick", "q-0-kind": "single",
        "q-0-options": "Only"})
    assert bad.status_code == 400 and b"questions[1].options" in bad.content
    client.post(reverse("surveys:detail", args=[e, survey.pk]), {"action": "publish"})
    survey.refresh_from_db()
    assert survey.status == "published"
    page = client.get(reverse("surveys:detail", args=[e, survey.pk]))
    assert b"frozen" in page.content


def test_a_resident_answers_and_sees_public_results(client, world, make_survey):
    survey = make_survey(results_public=True)
    login(client, world.owner2)
    e = world.estate.pk
    mine = client.get(reverse("surveys:mine", args=[e]))
    assert survey.title.encode() in mine.content
    ids = qids(survey)
    bad = client.post(reverse("surveys:answer", args=[e, survey.pk]), {f"q{ids['gate']}": "0"})
    assert bad.status_code == 400 and b"Question 2" in bad.content
    done = client.post(reverse("surveys:answer", args=[e, survey.pk]), {
        f"q{ids['gate']}": "1", f"q{ids['improve']}": ["0", "1"], f"q{ids['repair_speed']}": "5",
        f"q{ids['nps']}": "9", f"q{ids['comments']}": "Good"})
    assert done.status_code == 302
    results = client.get(reverse("surveys:results", args=[e, survey.pk]))
    assert results.status_code == 200 and b"<svg" in results.content and b"100.0%" in results.content
    assert client.get(reverse("surveys:list", args=[e])).status_code == 403
    assert client.get(reverse("surveys:export", args=[e, survey.pk])).status_code == 403


def test_a_family_member_does_not_see_an_owners_survey(client, world, make_survey):
    survey = make_survey()
    login(client, world.family)
    assert client.get(reverse("surveys:answer", args=[world.estate.pk, survey.pk])).status_code == 404


def test_the_evaluation_pages(client, world):
    evaluation.contract_item_save(actor=world.chair, name="Cleaning", question_key="cleanliness")
    e = world.estate.pk
    login(client, world.chair)
    assert client.get(reverse("surveys:contract_items", args=[e])).status_code == 200
    response = client.post(reverse("surveys:evaluations", args=[e]), {"year": "2026", "quarter": "2"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"(average" in page.content
    evaluation_id = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("surveys:evaluation", args=[e, evaluation_id]), {"action": "publish"})
    client.logout()
    login(client, world.owner)
    page = client.get(reverse("surveys:evaluation", args=[e, evaluation_id]))
    assert page.status_code == 200 and b"Publish to the owners" not in page.content
    assert client.get(reverse("surveys:evaluations", args=[e])).status_code == 200
    client.logout()
    login(client, world.tenant)
    assert client.get(reverse("surveys:evaluations", args=[e])).status_code == 403


def test_staff_schedule_a_template_on_the_list_page_and_a_bad_period_is_explained(client, world):
    # given a template survey of the estate
    login(client, world.manager)
    e = world.estate.pk
    template = Survey.objects.create(estate=world.estate, title="满意度模板", is_template=True)
    url = reverse("surveys:list", args=[e])
    # when the manager asks for it to stay open 200 days, then the page says why not and nothing is scheduled
    bad = client.post(url, {"template_id": template.pk, "name": "季度满意度", "recurrence": "quarterly",
                            "open_days": "200"})
    assert bad.status_code == 400 and "open_days" in bad.content.decode()
    from gongzhi.surveys.models import SurveySchedule

    assert not SurveySchedule.objects.exists()
    # when they schedule it every quarter for 30 days, then it is listed
    ok = client.post(url, {"template_id": template.pk, "name": "季度满意度", "recurrence": "quarterly",
                           "open_days": "30"})
    assert ok.status_code == 302
    schedule = SurveySchedule.objects.get()
    assert (schedule.template, schedule.recurrence, schedule.open_days) == (template, "quarterly", 30)
    assert "季度满意度" in client.get(url).content.decode()


def test_the_manager_pauses_and_resumes_a_schedule_from_the_list(client, world):
    from gongzhi.surveys.models import SurveySchedule

    template = Survey.objects.create(estate=world.estate, title="满意度模板", is_template=True)
    sc = SurveySchedule.objects.create(estate=world.estate, name="季度满意度", template=template)
    login(client, world.manager)
    url = reverse("surveys:list", args=[world.estate.pk])
    assert client.post(url, {"action": "pause", "schedule_id": sc.pk}).status_code == 302
    sc.refresh_from_db()
    assert sc.active is False
    page = client.get(url).content.decode()
    assert 'value="resume"' in page
    client.post(url, {"action": "resume", "schedule_id": sc.pk})
    sc.refresh_from_db()
    assert sc.active is True
    # a schedule of another estate (or none) is not found
    assert client.post(url, {"action": "pause", "schedule_id": 10**9}).status_code == 404


def test_the_committee_renames_a_contract_item_through_its_edit_form(client, world):
    from gongzhi.surveys import evaluation as svc
    from gongzhi.surveys.models import ContractItem

    item = svc.contract_item_save(actor=world.chair, name="维修及时", weight=3, position=2, question_key="repair_speed",
                                  survey_weight=0, ticket_measure="sla")
    login(client, world.chair)
    url = reverse("surveys:contract_items", args=[world.estate.pk])
    # when the chair opens the item's edit form, then it holds the item's values (a weight of 0 stays 0)
    page = client.get(url, {"edit": item.pk}).content.decode()
    assert f'name="item_id" value="{item.pk}"' in page and 'value="维修及时"' in page
    assert 'id="id_sw" name="survey_weight" value="0"' in page
    # when they rename it, then the same item changes (its position kept) and no second item appears
    form = {"item_id": item.pk, "name": "报修响应", "weight": "3", "position": "2", "question_key": "repair_speed",
            "survey_weight": "0", "ticket_measure": "sla", "ticket_weight": "1", "active": "1"}
    assert client.post(url, form).status_code == 302
    item.refresh_from_db()
    assert (item.name, item.position, ContractItem.objects.count()) == ("报修响应", 2, 1)
