"""The ticket metrics API: JSON and .xlsx, the period parameters, who may call it, and its query budget."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from gongzhi.tickets.metrics import XLSX_CONTENT_TYPE
from gongzhi.tickets.models import Rating

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = "?from=2026-11-01&to=2026-11-30"


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def get(desk, api):
    clients = {}

    def send(actor, path, estate=None):
        estate = estate or desk.estate
        if actor.user.pk not in clients:
            clients[actor.user.pk] = api(actor.user, [actor.estate])
        return clients[actor.user.pk].get(f"/api/v1/estates/{estate.pk}{path}")

    return send


def _resolved(desk, day: int, **kwargs):
    kwargs.setdefault("assignee", desk.technician.user)
    return desk.ticket(submitted_at=at(day, 8), first_response_at=at(day, 8, 12), resolved_at=at(day, 12),
                       status="resolved", response_minutes=15, resolution_minutes=1440, **kwargs)


def test_the_manager_gets_the_months_figures_as_exact_json(desk, get):
    # given two resolved tickets in November, one rated, and one submitted in December
    first = _resolved(desk, 2)
    _resolved(desk, 3, resolution_breached=True)
    Rating.objects.create(estate=desk.estate, ticket=first, score=4, rated_by=desk.resident.user, rated_at=at(4),
                          assignee=desk.technician.user)
    desk.ticket(submitted_at=at(1, month=12))
    # when the manager asks for November
    response = get(desk.manager, f"/ticket-metrics{NOVEMBER}")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    overall = body["overall"]
    assert (overall["submitted"], overall["resolved"]) == (2, 2)
    assert (overall["response_median_minutes"], overall["resolution_p90_minutes"]) == (12, 240)
    # exact decimals travel as strings, never floats
    assert (overall["within_sla_percent"], overall["average_rating"], overall["reopen_percent"]) == (
        "50.0", "4.00", "0.0")
    assert overall["response_breach_percent"] == "0.0"
    assert [r["category"] for r in body["by_category"]] == ["水电维修"]
    assert [(r["assignee_id"], r["resolved"]) for r in body["by_technician"]] == [(desk.technician.user.pk, 2)]


def test_without_dates_it_is_this_month(desk, get):
    desk.ticket()  # submitted now
    body = get(desk.dispatcher, "/ticket-metrics").json()
    assert body["period"]["from"].endswith("-01")
    assert body["overall"]["submitted"] == 1


def test_an_empty_period_answers_nulls_not_zeros(desk, get):
    overall = get(desk.customer_service, f"/ticket-metrics{NOVEMBER}").json()["overall"]
    assert overall["submitted"] == 0
    assert overall["average_rating"] is None and overall["within_sla_percent"] is None
    assert overall["response_median_minutes"] is None


def test_a_bad_period_is_400_and_a_malformed_date_422(desk, get):
    backwards = get(desk.manager, "/ticket-metrics?from=2026-11-30&to=2026-11-01")
    assert backwards.status_code == 400 and backwards.json()["code"] == "metrics_period"
    too_long = get(desk.manager, "/ticket-metrics?from=2025-01-01&to=2026-11-01")
    assert too_long.status_code == 400
    assert get(desk.manager, "/ticket-metrics?from=2026-13-01").status_code == 422
    assert get(desk.manager, "/ticket-metrics.xlsx?from=2026-11-30&to=2026-11-01").status_code == 400


def test_the_committee_gets_aggregates_without_staff_figures(desk, get, actor_for):
    _resolved(desk, 2)
    body = get(actor_for("committee_chair", desk.estate), f"/ticket-metrics{NOVEMBER}").json()
    assert body["overall"]["resolved"] == 1
    assert body["by_technician"] is None


@pytest.mark.parametrize("who", ["technician", "guard", "resident", "neighbour"])
def test_others_in_the_estate_are_forbidden(desk, get, who):
    assert get(getattr(desk, who), f"/ticket-metrics{NOVEMBER}").status_code == 403
    assert get(getattr(desk, who), f"/ticket-metrics.xlsx{NOVEMBER}").status_code == 403


def test_another_estates_manager_gets_404(desk, get, actor_for, other_estate):
    outsider = actor_for("manager", other_estate)
    assert get(outsider, f"/ticket-metrics{NOVEMBER}").status_code == 404
    assert get(outsider, f"/ticket-metrics.xlsx{NOVEMBER}").status_code == 404
    # and their own estate's figures do not include ours
    _resolved(desk, 2)
    body = get(outsider, f"/ticket-metrics{NOVEMBER}", estate=other_estate).json()
    assert body["overall"]["resolved"] == 0


def test_the_xlsx(desk, get, actor_for):
    _resolved(desk, 2, number="R0001")
    response = get(desk.manager, f"/ticket-metrics.xlsx{NOVEMBER}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "2026-11-01-2026-11-30.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert [row[0] for row in workbook["工单 tickets"].iter_rows(min_row=2, values_only=True)] == ["R0001"]
    committee = get(actor_for("committee_member", desk.estate), f"/ticket-metrics.xlsx{NOVEMBER}")
    assert load_workbook(io.BytesIO(committee.content)).sheetnames == ["总览 overall", "按类别 by category"]


def test_the_schema_is_documented(desk, client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/estates/{estate_id}/ticket-metrics"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"estate_id", "from", "to"}
    assert "403" in operation["responses"] and "404" in operation["responses"]
    xlsx = schema["paths"]["/api/v1/estates/{estate_id}/ticket-metrics.xlsx"]["get"]
    assert XLSX_CONTENT_TYPE in xlsx["responses"]["200"]["content"]


def _grow(desk, n: int) -> None:
    for i in range(n):
        tech = desk.technician.user if i % 2 else desk.technician2.user
        ticket = _resolved(desk, 2 + i % 20, assignee=tech)
        Rating.objects.create(estate=desk.estate, ticket=ticket, score=1 + i % 5, rated_by=desk.resident.user,
                              rated_at=at(25), assignee=tech)


@pytest.mark.parametrize("n", [3, 30])
def test_query_budget(desk, get, django_assert_max_num_queries, n):
    # given n rated tickets with two technicians; the budget: the token and the membership (when not cached),
    # then four whatever n: tickets, ratings, categories, the technicians' names
    _grow(desk, n)
    get(desk.manager, "/ticket-metrics")  # the token's last-used stamp is written once
    with django_assert_max_num_queries(6):
        response = get(desk.manager, f"/ticket-metrics{NOVEMBER}")
    assert response.json()["overall"]["rating_count"] == n
