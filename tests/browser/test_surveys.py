"""The quarterly satisfaction survey feeds the committee's evaluation: 王芳 answers this quarter's survey on her
phone; the committee chair computes the quarter's evaluation of the property company and publishes it; 王芳 reads
it. In a real browser (headless Chromium)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
from gongzhi.core.access import resolve_actor
from gongzhi.surveys import evaluation
from gongzhi.surveys.demo import _template
from gongzhi.surveys.models import Response, SurveySchedule
from gongzhi.surveys.periods import quarter_of
from gongzhi.surveys.schedule import schedule_run

from .test_walkthrough import DESKTOP, PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser


def test_a_resident_answers_and_the_committee_publishes_the_evaluation(live_server, world, open_page, screenshot):
    estate = world.estate
    # given the quarterly satisfaction schedule has published this quarter's survey
    template = _template(estate)
    schedule = SurveySchedule.objects.create(estate=estate, template=template, name=template.title)
    survey, _created = schedule_run(schedule=schedule)
    chair_user = MembershipFactory(estate=estate, role="committee_chair",
                                   user=UserFactory(phone="13900000009", name="周主任")).user
    chair = resolve_actor(chair_user, estate.pk)
    for name, weight, key in (("保洁", 2, "cleanliness"), ("维修", 3, "repair_speed"), ("安保", 1, "security")):
        evaluation.contract_item_save(actor=chair, name=name, weight=weight, question_key=key)

    # when 王芳 answers it on her phone
    phone = open_page(**PHONE)
    sign_in(phone, live_server.url, "13812341234", world.password)
    phone.goto(f"{live_server.url}/e/{estate.pk}/my/surveys/")
    phone.locator("[data-testid=my-survey] a.button.primary").first.click()
    expect(phone).to_have_url(re.compile(rf"/e/{estate.pk}/my/surveys/{survey.pk}/$"))
    for key, value in (("service_attitude", 5), ("repair_speed", 4), ("cleanliness", 5), ("security", 3),
                       ("greening", 4), ("overall", 4), ("nps", 9)):
        phone.locator(f"[data-testid=q-{key}] label:has(input[value='{value}'])").click()
    phone.fill("[data-testid=q-comments] textarea", "电梯维修很及时")
    assert fits_the_screen(phone)
    screenshot(phone, "survey-answer-375", full_page=True)
    phone.locator("[data-testid=answer-form] button[type=submit]").click()
    expect(phone).to_have_url(re.compile(rf"/e/{estate.pk}/my/surveys/$"))
    expect(phone.locator("[data-testid=my-survey] a.button.primary")).to_have_count(0)
    assert Response.objects.filter(survey=survey, respondent__isnull=True).count() == 1

    # then the chair computes this quarter's evaluation and publishes it
    year, quarter = quarter_of(timezone.localdate())
    desk = open_page(**DESKTOP)
    sign_in(desk, live_server.url, "13900000009", world.password)
    desk.goto(f"{live_server.url}/e/{estate.pk}/evaluations/")
    desk.fill("input[name=year]", str(year))
    desk.select_option("select[name=quarter]", str(quarter))
    desk.locator("form.card button.primary").click()
    expect(desk).to_have_url(re.compile(rf"/e/{estate.pk}/evaluations/\d+/$"))
    # cleanliness 5 → 100, repair speed 4 → 75, security 3 → 50: (2×100 + 3×75 + 1×50) / 6 = 79.17
    expect(desk.locator("[data-testid=overall-score]")).to_have_text("79.17")
    desk.fill("#id_comment", "维修及时，安保需加强。")
    desk.locator("button[value=comment]").click()
    desk.locator("button[value=publish]").click()
    expect(desk.locator("[data-testid=status]")).to_contain_text(re.compile("Published|已发布"))
    screenshot(desk, "evaluation-published", full_page=True)
    evaluation_url = desk.url

    # and 王芳 reads it with its inputs and the survey's response rate
    phone.goto(evaluation_url)
    expect(phone.locator("[data-testid=overall-score]")).to_have_text("79.17")
    expect(phone.locator("[data-testid=survey-rate]")).to_be_visible()
    expect(phone.locator("button[value=publish]")).to_have_count(0)
    expect(phone.get_by_text("维修及时，安保需加强。")).to_be_visible()
    screenshot(phone, "evaluation-owner-375", full_page=True)
