"""Quoting a paid private repair: the assigned technician (or the desk) lists materials and labour while the work is
on; each line is quantity × unit price rounded half up to the fen, the total the sum of the rounded lines."""

from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets.models import Quote, QuoteLine
from gongzhi.tickets.quotes import MAX_LINES, line_amount, quote_propose, ticket_quotes
from gongzhi.tickets.tests.factories import TicketFactory

VALVE = {"kind": "material", "description": "角阀", "quantity": "2", "unit_price": "35.50"}
LABOUR = {"kind": "labour", "description": "上门更换", "quantity": "1.5", "unit_price": "80"}


def working(desk, status="in_progress", **kwargs):
    return desk.ticket(status=status, assignee=desk.technician.user, **kwargs)


def test_the_technician_quotes_and_the_household_is_told(desk):
    # given a repair in the resident's home the technician is working on
    ticket = working(desk)
    # when the technician quotes a valve and the labour
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[VALVE, LABOUR], note="换角阀")
    # then the lines and the total are kept in yuan to the fen
    assert (quote.status, quote.total, quote.note, quote.proposed_by) == (
        "proposed", Decimal("191.00"), "换角阀", desk.technician.user)
    lines = list(QuoteLine.objects.filter(quote=quote).order_by("pk").values_list(
        "kind", "description", "quantity", "unit_price", "amount"))
    assert lines == [("material", "角阀", Decimal("2.00"), Decimal("35.50"), Decimal("71.00")),
                     ("labour", "上门更换", Decimal("1.50"), Decimal("80.00"), Decimal("120.00"))]
    # and it is audited, and the resident is told
    assert AuditEntry.objects.filter(action="quote.propose", object_id=str(quote.pk)).exists()
    told = Notification.objects.get(user=desk.resident.user, kind="quote")
    assert "191.00" in told.body


def test_amounts_round_half_up_to_the_fen_and_the_total_adds_the_rounded_lines(desk):
    # 1.5 × 0.67 = 1.005: half up gives 1.01 (banker's rounding, or a float, would give 1.00); three such lines
    lines = [{"kind": "material", "description": f"垫片{n}", "quantity": "1.5", "unit_price": "0.67"}
             for n in range(3)]
    quote = quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=lines)
    assert list(QuoteLine.objects.filter(quote=quote).values_list("amount", flat=True)) == [Decimal("1.01")] * 3
    assert quote.total == Decimal("3.03")  # the exact sum 3.015 would round to 3.02
    assert line_amount(Decimal("0.5"), Decimal("2.01")) == Decimal("1.01")
    assert line_amount(Decimal("3"), Decimal("0.33")) == Decimal("0.99")


def test_three_times_0_335_is_refused_the_price_has_more_than_two_places(desk):
    line = {"kind": "material", "description": "螺丝", "quantity": "3", "unit_price": "0.335"}
    with pytest.raises(DomainError) as error:
        quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[line])
    assert (error.value.code, error.value.detail["field"]) == ("invalid_field", "lines[0].unit_price")
    # a float is read by its text, never its binary value: 0.335 is refused alike, 0.1 is 0.10
    with pytest.raises(DomainError):
        quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[{**line, "unit_price": 0.335}])
    quote = quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[{**line, "unit_price": 0.1}])
    assert quote.total == Decimal("0.30")


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "0"), ("quantity", "-1"), ("quantity", "1.001"), ("quantity", "abc"), ("quantity", "NaN"),
    ("quantity", "Infinity"), ("quantity", None), ("quantity", "100000000"), ("unit_price", "-0.01"),
    ("unit_price", "10000000000"), ("unit_price", ""), ("kind", "tip"), ("description", "  "),
    ("description", "长" * 121),
])
def test_a_bad_line_is_400_and_nothing_is_written(desk, field, value):
    with pytest.raises(DomainError) as error:
        quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[{**VALVE, field: value}])
    assert error.value.status == 400
    assert error.value.detail["field"] == f"lines[0].{field}"
    assert not Quote.objects.exists()


def test_a_free_line_is_allowed(desk):
    quote = quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[{**LABOUR, "unit_price": "0"}])
    assert quote.total == Decimal("0.00")


def test_fifty_lines_at_most(desk):
    ticket = working(desk)
    assert quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[VALVE] * MAX_LINES).lines.count() == 50
    with pytest.raises(DomainError) as error:
        quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[VALVE] * (MAX_LINES + 1))
    assert error.value.code == "too_many_lines"
    with pytest.raises(DomainError):
        quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[])


def test_a_new_quote_withdraws_the_live_one(desk):
    ticket = working(desk)
    first = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[VALVE])
    second = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[VALVE, LABOUR])
    assert Quote.objects.get(pk=first.pk).status == "withdrawn"
    assert [(q.pk, q.status) for q in ticket_quotes(actor=desk.resident, ticket=ticket)] == [
        (first.pk, "withdrawn"), (second.pk, "proposed")]
    assert AuditEntry.objects.filter(action="quote.withdraw", object_id=str(first.pk)).exists()


@pytest.mark.parametrize("status", ["accepted", "in_progress", "on_hold"])
def test_quoted_while_the_work_is_on(desk, status):
    assert quote_propose(actor=desk.technician, ticket_id=working(desk, status).pk, lines=[VALVE])


@pytest.mark.parametrize("status", ["submitted", "assigned", "resolved", "closed", "rejected", "cancelled"])
def test_not_before_or_after_the_work_409(desk, status):
    with pytest.raises(Conflict) as error:
        quote_propose(actor=desk.technician, ticket_id=working(desk, status).pk, lines=[VALVE])
    assert error.value.code == "quote_not_now"


def test_only_a_private_repair_is_quoted(desk):
    common = desk.ticket(scope="common", house=None, estate=desk.estate, building=None, unit=None, place="北门",
                         status="in_progress", assignee=desk.technician.user)
    with pytest.raises(DomainError) as error:
        quote_propose(actor=desk.technician, ticket_id=common.pk, lines=[VALVE])
    assert error.value.code == "not_private_repair"


def test_the_desk_may_quote_too(desk):
    assert quote_propose(actor=desk.dispatcher, ticket_id=working(desk).pk, lines=[VALVE]).proposed_by == \
        desk.dispatcher.user


def test_another_technician_cannot_quote_403(desk):
    with pytest.raises(Forbidden):
        quote_propose(actor=desk.technician2, ticket_id=working(desk).pk, lines=[VALVE])


def test_the_household_cannot_quote_itself_403(desk):
    with pytest.raises(Forbidden):
        quote_propose(actor=desk.resident, ticket_id=working(desk).pk, lines=[VALVE])


def test_another_household_or_estate_gets_404(desk, other_estate):
    with pytest.raises(NotFound):
        quote_propose(actor=desk.neighbour, ticket_id=working(desk).pk, lines=[VALVE])
    foreign = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                            status="in_progress", resolved_at=timezone.now())
    with pytest.raises(NotFound):
        quote_propose(actor=desk.dispatcher, ticket_id=foreign.pk, lines=[VALVE])


def test_descriptions_are_stored_as_typed(desk):
    line = {**VALVE, "description": "<script>alert(1)</script>"}
    quote = quote_propose(actor=desk.technician, ticket_id=working(desk).pk, lines=[line])
    assert quote.lines.get().description == "<script>alert(1)</script>"
