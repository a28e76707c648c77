"""Ticket metrics: the arithmetic on known data, what counts in which period, who sees which figures."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.tests.factories import HouseFactory
from gongzhi.tickets.metrics import (
    TICKET_COLUMNS,
    Period,
    average,
    epoch_seconds,
    metrics_workbook,
    percentile,
    period_tickets,
    share,
    tally,
    ticket_metrics,
    whole_minutes,
)
from gongzhi.tickets.models import Rating, Ticket

from .factories import CategoryFactory, TicketFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


def at(day: int, hour: int = 9, minute: int = 0, second: int = 0, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def rate(ticket, score: int, when: datetime.datetime, *, round: int = 0, assignee=None):
    return Rating.objects.create(estate=ticket.estate, ticket=ticket, round=round, score=score,
                                 rated_by=ticket.submitted_by, rated_at=when,
                                 assignee=assignee if assignee is not None else ticket.assignee)


# --- the arithmetic -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([], 50, None),
    ([], 90, None),
    ([7], 50, 7),
    ([7], 90, 7),
    ([1, 2, 3], 50, 2),  # odd count: the middle value
    ([1, 2, 3, 4], 50, 2),  # even count: nearest rank is the lower middle value, not 2.5
    (list(range(1, 11)), 90, 9),  # rank ceil(0.9 × 10) = 9
    (list(range(1, 21)), 90, 18),
    (list(range(1, 12)), 90, 10),  # rank ceil(9.9) = 10
    ([10, 20, 30, 40], 100, 40),
    ([10, 20, 30, 40], 1, 10),
])
def test_percentiles_are_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


def test_a_percentile_outside_1_to_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1], 0)


@pytest.mark.parametrize(("seconds", "minutes"), [(None, None), (0, 0), (29, 0), (30, 1), (89, 1), (90, 2),
                                                  (3600, 60)])
def test_times_are_whole_minutes_rounded_half_up(seconds, minutes):
    assert whole_minutes(seconds) == minutes


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (0, 0, None), (0, 5, Decimal("0.0")), (1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")),
    (1, 16, Decimal("6.3")),  # 6.25 rounds half up
    (5, 5, Decimal("100.0")),
])
def test_shares_are_decimal_percentages_to_one_place(part, whole, expected):
    result = share(part, whole)
    assert result == expected
    assert result is None or (isinstance(result, Decimal) and result.as_tuple().exponent == -1)


@pytest.mark.parametrize(("total", "count", "expected"), [
    (0, 0, None), (9, 2, Decimal("4.50")), (13, 3, Decimal("4.33")), (14, 3, Decimal("4.67")),
    (1, 8, Decimal("0.13")),  # 0.125 half up
])
def test_the_average_rating_is_exact_to_two_places(total, count, expected):
    assert average(total, count) == expected


def test_the_tally_of_known_rows():
    # given four tickets as the database would give them (category, assignee, submitted, responded, resolved,
    # paused, response target, resolution target, response breached, resolution breached, reopen count)
    s = lambda *args: epoch_seconds(at(*args))  # noqa: E731  timestamps come as epoch seconds
    rows = [
        (1, 10, s(2, 9), s(2, 9, 10), s(2, 13), 0, 15, 1440, False, False, 0),  # 10 min, 4 h
        (1, 10, s(3, 9), s(3, 9, 30), s(3, 19), 120, 15, 1440, True, False, 1),  # 30 min, 10 h − 2 h paused
        (2, 11, s(4, 9), s(4, 9, 5, 29), None, 0, 15, 1440, False, False, 0),  # 5 min 29 s, open
        (2, None, s(5, 9), None, None, 0, None, None, False, False, 0),  # no target, not responded
    ]
    ratings = [(5, 10, 1), (4, 10, 1)]
    # when they are tallied for November
    result = tally(rows, ratings, NOVEMBER)
    overall = result.overall.figures()
    # then
    assert overall["submitted"] == 4 and overall["responded"] == 3
    assert overall["response_median_minutes"] == 10  # [5:29, 10:00, 30:00] → 10:00
    assert overall["response_p90_minutes"] == 30
    assert overall["response_breach_percent"] == Decimal("33.3")  # 1 of the 3 with a target
    assert overall["resolved"] == 2
    assert overall["resolution_median_minutes"] == 240  # [4 h, 8 h]: the lower middle
    assert overall["resolution_p90_minutes"] == 480  # 10 h minus 120 paused minutes
    assert overall["within_sla_percent"] == Decimal("100.0")
    assert overall["reopen_percent"] == Decimal("50.0")
    assert (overall["average_rating"], overall["rating_count"]) == (Decimal("4.50"), 2)
    assert result.by_category[2].figures()["response_median_minutes"] == 5  # 5 min 29 s
    assert result.by_assignee[None].figures()["submitted"] == 1
    assert result.by_assignee[11].figures()["average_rating"] is None


def test_an_empty_period_has_no_figures_rather_than_zeros():
    overall = tally([], [], NOVEMBER).overall.figures()
    assert overall["submitted"] == 0
    assert all(overall[k] is None for k in ("response_median_minutes", "resolution_p90_minutes",
                                            "within_sla_percent", "response_breach_percent", "reopen_percent",
                                            "average_rating"))


# --- the period ------------------------------------------------------------------------------------------------------


def test_the_default_period_is_this_month():
    assert Period.of(today=datetime.date(2028, 2, 10)) == Period(datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))
    assert Period.of(datetime.date(2026, 12, 5), today=datetime.date(2026, 1, 1)).last == datetime.date(2026, 12, 31)
    assert Period.of(None, datetime.date(2026, 11, 20)).first == datetime.date(2026, 11, 1)


def test_the_period_is_local_midnight_to_midnight():
    assert NOVEMBER.start == datetime.datetime(2026, 10, 31, 16, 0, tzinfo=datetime.UTC)
    assert NOVEMBER.end == datetime.datetime(2026, 11, 30, 16, 0, tzinfo=datetime.UTC)


def test_a_period_backwards_or_longer_than_a_year_is_refused():
    with pytest.raises(DomainError) as backwards:
        Period.of(datetime.date(2026, 11, 30), datetime.date(2026, 11, 1))
    assert backwards.value.code == "metrics_period"
    with pytest.raises(DomainError):
        Period.of(datetime.date(2026, 1, 1), datetime.date(2027, 1, 2))  # 367 days
    assert Period.of(datetime.date(2027, 1, 1), datetime.date(2028, 1, 1)).last == datetime.date(2028, 1, 1)  # 366


# --- from the database -----------------------------------------------------------------------------------------------


def test_the_database_gives_timestamps_as_whole_epoch_seconds(desk):
    # given a ticket submitted 0.999999 s after 09:00 and responded to 29.5 s later
    submitted = at(2, 9).replace(microsecond=999_999)
    ticket = desk.ticket(submitted_at=submitted, first_response_at=submitted + datetime.timedelta(seconds=29.5))
    # when the metrics' columns are fetched
    row = Ticket.objects.filter(pk=ticket.pk).values_list(*TICKET_COLUMNS).get()
    # then each timestamp is its whole second (floor), on SQLite and PostgreSQL alike
    assert row[2] == epoch_seconds(at(2, 9)) == 1_793_581_200
    assert row[3] - row[2] == 30 and row[4] is None


def test_period_edges_in_shanghai_time(desk):
    # given tickets submitted on the last second of November and the first second of December, local time
    desk.ticket(submitted_at=at(30, 23, 59, 59))
    desk.ticket(submitted_at=at(1, 0, 0, 0, month=12))
    desk.ticket(submitted_at=at(1, 0, 0, 0))  # the first second of November counts
    desk.ticket(submitted_at=at(31, 23, 59, 59, month=10))  # the last second of October does not
    # and one resolved at 23:59:59 on the 30th, another at 00:00:00 on 1 December
    desk.ticket(submitted_at=at(20, month=10), resolved_at=at(30, 23, 59, 59), status="resolved")
    desk.ticket(submitted_at=at(20, month=10), resolved_at=at(1, 0, 0, 0, month=12), status="resolved")
    # when the manager asks for November
    overall = ticket_metrics(actor=desk.manager, period=NOVEMBER)["overall"]
    # then
    assert (overall["submitted"], overall["resolved"]) == (2, 1)


def test_a_rating_at_the_edges_and_unrated_tickets(desk):
    tech = desk.technician.user
    rated = desk.ticket(submitted_at=at(2), resolved_at=at(3), status="closed", assignee=tech)
    rate(rated, 5, at(30, 23, 59, 59))
    late = desk.ticket(submitted_at=at(4), resolved_at=at(5), status="closed", assignee=tech)
    rate(late, 1, at(1, 0, 0, 0, month=12))  # December's
    desk.ticket(submitted_at=at(6), resolved_at=at(7), status="closed", assignee=tech)  # closed unrated
    reopened = desk.ticket(submitted_at=at(8), resolved_at=at(9), status="resolved", reopen_count=1, assignee=tech)
    rate(reopened, 2, at(8, 20), round=0)
    rate(reopened, 4, at(9, 20), round=1)
    overall = ticket_metrics(actor=desk.manager, period=NOVEMBER)["overall"]
    # (5 + 2 + 4) / 3: the unrated ticket counts as nothing, December's rating is not November's
    assert (overall["average_rating"], overall["rating_count"]) == (Decimal("3.67"), 3)
    assert overall["reopen_percent"] == Decimal("25.0")  # 1 of the 4 resolved


def test_paused_minutes_are_not_resolution_time_and_breaches_count(desk):
    desk.ticket(submitted_at=at(2, 8), first_response_at=at(2, 8, 20), resolved_at=at(2, 18), status="resolved",
                sla_paused_minutes=360, response_minutes=15, resolution_minutes=240, response_breached=True)
    desk.ticket(submitted_at=at(3, 8), first_response_at=at(3, 8, 2), resolved_at=at(4, 8), status="resolved",
                response_minutes=15, resolution_minutes=240, resolution_breached=True)
    desk.ticket(submitted_at=at(4, 8), resolved_at=at(4, 9), status="resolved")  # no targets copied
    overall = ticket_metrics(actor=desk.manager, period=NOVEMBER)["overall"]
    # the first took 10 h less 6 h paused = 240 min; sorted [60, 240, 1440]
    assert (overall["resolution_median_minutes"], overall["resolution_p90_minutes"]) == (240, 1440)
    assert overall["within_sla_percent"] == Decimal("50.0")  # of the two with a target, one breached
    assert overall["response_breach_percent"] == Decimal("50.0")
    assert (overall["response_median_minutes"], overall["response_p90_minutes"]) == (2, 20)


def test_the_paused_ticket_alone(desk):
    desk.ticket(submitted_at=at(2, 8), resolved_at=at(2, 18), status="resolved", sla_paused_minutes=360)
    overall = ticket_metrics(actor=desk.manager, period=NOVEMBER)["overall"]
    assert overall["resolution_median_minutes"] == overall["resolution_p90_minutes"] == 240


def test_by_category_and_by_technician(desk):
    noise = CategoryFactory(estate=desk.estate, name="噪音", kind="complaint", sort_key=5)
    CategoryFactory(estate=desk.estate, name="停用", active=False)  # inactive and idle: not listed
    tech, tech2 = desk.technician.user, desk.technician2.user
    tech.name, tech2.name = "李师傅", "王师傅"
    tech.save(), tech2.save()
    for hours in (1, 2, 3):
        desk.ticket(submitted_at=at(2), resolved_at=at(2, 9 + hours), status="resolved", assignee=tech)
    desk.ticket(submitted_at=at(3), resolved_at=at(3, 20), status="resolved", assignee=tech2, category=noise,
                kind="complaint")
    desk.ticket(submitted_at=at(4))
    data = ticket_metrics(actor=desk.manager, period=NOVEMBER)
    categories = {r["category"]: r for r in data["by_category"]}
    assert set(categories) == {"水电维修", "噪音"}
    assert (categories["水电维修"]["submitted"], categories["水电维修"]["resolved"]) == (4, 3)
    assert categories["水电维修"]["resolution_median_minutes"] == 120
    assert categories["噪音"]["resolution_median_minutes"] == 11 * 60
    rows = [(r["name"], r["resolved"], r["submitted"]) for r in data["by_technician"]]
    assert rows == [("李师傅", 3, 3), ("王师傅", 1, 1), (str(_("Unassigned")), 0, 1)]


def test_another_estates_tickets_are_not_counted(desk, other_estate):
    desk.ticket(submitted_at=at(2))
    TicketFactory(house=HouseFactory(unit__building__estate=other_estate), submitted_at=at(2),
                  resolved_at=at(3), status="resolved")
    data = ticket_metrics(actor=desk.manager, period=NOVEMBER)
    assert (data["overall"]["submitted"], data["overall"]["resolved"]) == (1, 0)
    assert [r["category"] for r in data["by_category"]] == ["水电维修"]


# --- who sees what ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "dispatcher", "customer_service"])
def test_the_desk_sees_everything(desk, who):
    desk.ticket(submitted_at=at(2), assignee=desk.technician.user)
    data = ticket_metrics(actor=getattr(desk, who), period=NOVEMBER)
    assert data["by_technician"] is not None and data["overall"]["submitted"] == 1


@pytest.mark.parametrize("role", ["committee_chair", "committee_member"])
def test_the_committee_sees_aggregates_but_not_staff_figures_or_tickets(desk, actor_for, role):
    desk.ticket(submitted_at=at(2), assignee=desk.technician.user)
    committee = actor_for(role, desk.estate)
    data = ticket_metrics(actor=committee, period=NOVEMBER)
    assert data["overall"]["submitted"] == 1 and data["by_category"]
    assert data["by_technician"] is None
    with pytest.raises(Forbidden):
        period_tickets(actor=committee, period=NOVEMBER)


@pytest.mark.parametrize("who", ["technician", "guard", "resident"])
def test_others_in_the_estate_see_no_metrics(desk, who):
    with pytest.raises(Forbidden):
        ticket_metrics(actor=getattr(desk, who), period=NOVEMBER)
    with pytest.raises(Forbidden):
        metrics_workbook(actor=getattr(desk, who), period=NOVEMBER)


# --- the workbook ----------------------------------------------------------------------------------------------------


def test_the_export_has_bilingual_sheets_and_the_tickets_with_their_times(desk):
    desk.technician.user.name = "李师傅"
    desk.technician.user.save()
    desk.ticket(number="R1", title="=HYPERLINK(\"http://evil\")", submitted_at=at(2, 8),
                first_response_at=at(2, 8, 10), resolved_at=at(2, 18), sla_paused_minutes=60, status="resolved",
                assignee=desk.technician.user)
    workbook = load_workbook(io.BytesIO(metrics_workbook(actor=desk.manager, period=NOVEMBER)))
    assert workbook.sheetnames == ["总览 overall", "按类别 by category", "按处理人 by technician", "工单 tickets"]
    overall = {row[0]: row[1] for row in workbook["总览 overall"].iter_rows(min_row=2, values_only=True)}
    assert overall["期间 period"] == "2026-11-01 – 2026-11-30"
    assert overall["解决时长中位数(分钟) resolution median (min)"] == 540
    tickets = list(workbook["工单 tickets"].iter_rows(values_only=True))
    assert tickets[0][0] == "工单号 number"
    number, kind, _category, _priority, status, _title, assignee, submitted, *rest = tickets[1]
    assert (number, assignee) == ("R1", "李师傅")
    assert kind.endswith("Repair") and status.endswith("Resolved")  # "报修 Repair" once translated
    assert submitted == datetime.datetime(2026, 11, 2, 8, 0)  # local time, as Excel has no time zones
    assert rest[2:5] == [10, 540, 60]
    cell = workbook["工单 tickets"]["F2"]
    assert cell.data_type == "s" and cell.quotePrefix  # shown as text, never a formula
    assert [row[0] for row in workbook["按处理人 by technician"].iter_rows(min_row=2, values_only=True)] == ["李师傅"]
    assert AuditEntry.objects.filter(action="tickets.metrics_export", estate=desk.estate).count() == 1


def test_the_committee_export_has_the_aggregates_only(desk, actor_for):
    desk.ticket(submitted_at=at(2))
    workbook = load_workbook(io.BytesIO(metrics_workbook(actor=actor_for("committee_member", desk.estate),
                                                         period=NOVEMBER)))
    assert workbook.sheetnames == ["总览 overall", "按类别 by category"]


def test_the_exports_ticket_list_follows_ticket_visibility(desk):
    # a complaint about the dispatcher is for the managers only
    desk.ticket(number="C1", kind="complaint", submitted_at=at(2), about_staff=desk.dispatcher.user)
    desk.ticket(number="R2", submitted_at=at(2))

    def numbers(actor):
        workbook = load_workbook(io.BytesIO(metrics_workbook(actor=actor, period=NOVEMBER)))
        return sorted(row[0] for row in workbook["工单 tickets"].iter_rows(min_row=2, values_only=True))

    assert numbers(desk.manager) == ["C1", "R2"]
    assert numbers(desk.dispatcher) == ["R2"]
