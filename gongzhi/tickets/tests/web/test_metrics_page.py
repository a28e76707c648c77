"""The staff console's ticket metrics page and its .xlsx export: what each role sees, the period picker, errors in
place, escaping, and the query budget."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gongzhi.tickets.metrics import XLSX_CONTENT_TYPE
from gongzhi.tickets.models import Rating
from gongzhi.tickets.tests.factories import CategoryFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = "?from=2026-11-01&to=2026-11-30"


def at(day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def browser():
    """browser(actor) → an English page client signed in as the actor's user."""

    def make(actor=None):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if actor is not None:
            client.force_login(actor.user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


def url(desk, name="metrics") -> str:
    return reverse(f"tickets:{name}", args=[desk.estate.pk])


def _month(desk):
    tech = desk.technician.user
    tech.name = "李师傅"
    tech.save()
    first = desk.ticket(submitted_at=at(2, 8), first_response_at=at(2, 8, 12), resolved_at=at(2, 13),
                        status="resolved", assignee=tech, response_minutes=15, resolution_minutes=240)
    desk.ticket(submitted_at=at(3, 8), first_response_at=at(3, 8, 40), resolved_at=at(4, 8), status="resolved",
                assignee=tech, response_minutes=15, resolution_minutes=240, response_breached=True,
                resolution_breached=True)
    Rating.objects.create(estate=desk.estate, ticket=first, score=5, rated_by=desk.resident.user, rated_at=at(5),
                          assignee=tech)


def test_the_manager_sees_cards_tables_and_bars(desk, browser):
    # given two tickets resolved in November, one late, one rated 5
    _month(desk)
    # when the manager opens the metrics page for November
    response = browser(desk.manager).get(url(desk) + NOVEMBER)
    html = response.content.decode()
    # then the overall cards, the category and technician tables, the bars and the export link are there
    assert response.status_code == 200
    assert "From 2026-11-01 to 2026-11-30" in html
    assert "By category" in html and "水电维修" in html
    assert "By technician" in html and "李师傅" in html
    assert "50.0%" in html  # within SLA: one of two
    assert 'style="width: 50.0%"' in html
    assert "5.00" in html  # the average rating
    assert "12 min / 40 min" in html  # response median / p90
    assert "5 h 0 min / 1 d 0 h" in html  # resolution median / p90
    assert f'{url(desk, "metrics_export")}?from=2026-11-01&amp;to=2026-11-30' in html


def test_without_dates_the_page_shows_this_month_with_the_dates_filled_in(desk, browser):
    desk.ticket()
    html = browser(desk.dispatcher).get(url(desk)).content.decode()
    first = datetime.datetime.now(SHANGHAI).date().replace(day=1)
    assert f'value="{first.isoformat()}"' in html
    assert "This month" in html and "Last month" in html


def test_a_bad_period_is_shown_in_place(desk, browser):
    response = browser(desk.manager).get(url(desk) + "?from=2026-11-30&to=2026-11-01")
    html = response.content.decode()
    assert response.status_code == 400
    assert "The period ends (2026-11-01) before it starts (2026-11-30)." in html
    assert 'role="alert"' in html and "By category" not in html
    malformed = browser(desk.manager).get(url(desk) + "?from=yesterday")
    assert malformed.status_code == 400 and "Enter a valid date." in malformed.content.decode()


def test_the_committee_sees_no_technicians(desk, browser, actor_for):
    _month(desk)
    html = browser(actor_for("committee_member", desk.estate)).get(url(desk) + NOVEMBER).content.decode()
    assert "By category" in html
    assert "By technician" not in html and "李师傅" not in html


@pytest.mark.parametrize("who", ["technician", "guard", "resident"])
def test_others_in_the_estate_get_403(desk, browser, who):
    assert browser(getattr(desk, who)).get(url(desk)).status_code == 403
    assert browser(getattr(desk, who)).get(url(desk, "metrics_export")).status_code == 403


def test_another_estate_and_anonymous(desk, browser, actor_for, other_estate):
    outsider = actor_for("manager", other_estate)
    assert browser(outsider).get(url(desk)).status_code == 404
    assert browser(outsider).get(url(desk, "metrics_export")).status_code == 404
    anonymous = browser().get(url(desk))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_names_are_escaped(desk, browser):
    CategoryFactory(estate=desk.estate, name="<script>alert(1)</script>")
    html = browser(desk.manager).get(url(desk) + NOVEMBER).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_export_downloads_the_workbook(desk, browser):
    _month(desk)
    response = browser(desk.customer_service).get(url(desk, "metrics_export") + NOVEMBER)
    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    assert "工单 tickets" in workbook.sheetnames
    assert workbook["工单 tickets"].max_row == 3  # the header and the two tickets
    bad = browser(desk.customer_service).get(url(desk, "metrics_export") + "?from=2026-11-30&to=2026-11-01")
    assert bad.status_code == 400


@pytest.mark.parametrize("n", [2, 20])
def test_query_budget(desk, browser, django_assert_max_num_queries, n):
    for i in range(n):
        desk.ticket(submitted_at=at(1 + i), resolved_at=at(1 + i, 18), status="resolved",
                    assignee=desk.technician.user if i % 2 else desk.technician2.user)
    client = browser(desk.manager)
    client.get(url(desk) + NOVEMBER)
    # the session and its user, the membership (when not cached), then tickets, ratings, categories, names
    with django_assert_max_num_queries(7):
        response = client.get(url(desk) + NOVEMBER)
    assert response.status_code == 200
