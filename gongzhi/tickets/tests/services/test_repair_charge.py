"""The charge of a paid repair: when a ticket with an accepted quote is resolved, its total becomes a RepairCharge
of the house, exactly once, handed to the billing system's sink after commit (recorded on the ticket until the
billing app fulfils the interface)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.accounts.tests.factories import MembershipFactory
from gongzhi.core.errors import Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.tickets import quotes
from gongzhi.tickets.charges import ChargeSink, RecordOnTicket, charge_hand_over, charge_sink
from gongzhi.tickets.feedback import ticket_send_back
from gongzhi.tickets.models import RepairCharge
from gongzhi.tickets.quotes import charge_for_resolved, charge_list, quote_decide, quote_propose
from gongzhi.tickets.services import ticket_accept, ticket_resolve, ticket_start
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import RepairChargeFactory, blind

LINES = [{"kind": "material", "description": "软管", "quantity": "3", "unit_price": "20.23"},
         {"kind": "labour", "description": "更换", "quantity": "1", "unit_price": "200"}]
handed: list[int] = []


class BillingSink(ChargeSink):
    """What the billing app will do: bill the charge and answer with its reference."""

    def hand_over(self, charge) -> str | None:
        handed.append(charge.pk)
        return f"BILL-{charge.pk}"


class BrokenSink(ChargeSink):
    def hand_over(self, charge) -> str | None:
        raise RuntimeError("billing is down")


@pytest.fixture(autouse=True)
def _forget_handed():
    handed.clear()


def accepted(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=LINES)
    return quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)


def test_resolving_a_ticket_with_an_accepted_quote_records_its_charge(desk, django_capture_on_commit_callbacks):
    # given the household accepted a quote of 260.69 yuan
    quote = accepted(desk)
    assert quote.total == Decimal("260.69")
    # when the technician resolves the ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="换好了")
    # then the house owes the total, recorded on the ticket (the default sink keeps it so), audited
    charge = RepairCharge.objects.get()
    assert (charge.ticket_id, charge.quote, charge.house, charge.amount, charge.status) == (
        quote.ticket_id, quote, desk.home, Decimal("260.69"), "recorded")
    assert charge.billing_reference == ""
    entry = AuditEntry.objects.get(action="repair_charge.create", object_id=str(charge.pk))
    assert (entry.actor, entry.after["amount"]) == (desk.technician.user, "260.69")


def test_resolved_reopened_and_resolved_again_charges_once(desk):
    quote = accepted(desk)
    ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="换好了")
    ticket_send_back(actor=desk.resident, ticket_id=quote.ticket_id, reason="还在漏")
    ticket_accept(actor=desk.technician, ticket_id=quote.ticket_id)
    ticket_start(actor=desk.technician, ticket_id=quote.ticket_id)
    ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="这次好了")
    assert RepairCharge.objects.filter(ticket_id=quote.ticket_id).count() == 1


def test_a_charge_racing_in_for_the_same_quote_is_not_doubled(desk, monkeypatch):
    # given the quote was charged by a concurrent resolution our check did not see yet
    quote = accepted(desk)
    earlier = RepairChargeFactory(quote=quote)
    monkeypatch.setattr(quotes, "RepairCharge", blind(RepairCharge))
    # when we charge it too, then the one-to-one on the quote refuses it quietly
    assert charge_for_resolved(quote.ticket) is None
    assert list(RepairCharge.objects.filter(quote=quote)) == [earlier]


@pytest.mark.parametrize("decision", [None, False])
def test_no_accepted_quote_no_charge(desk, decision):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=LINES)
    if decision is not None:
        quote_decide(actor=desk.resident, quote_id=quote.pk, accept=decision)
    ticket_resolve(actor=desk.technician, ticket_id=ticket.pk, note="修好了")
    assert not RepairCharge.objects.exists()


def test_the_billing_sink_named_in_the_settings_takes_it_over(desk, settings, django_capture_on_commit_callbacks):
    settings.TICKET_CHARGE_SINK = f"{__name__}.BillingSink"
    quote = accepted(desk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="换好了")
        assert handed == []  # not before the commit
    assert callbacks
    charge = RepairCharge.objects.get()
    assert handed == [charge.pk]
    assert (charge.status, charge.billing_reference) == ("handed_over", f"BILL-{charge.pk}")
    assert AuditEntry.objects.filter(action="repair_charge.hand_over", object_id=str(charge.pk)).exists()
    # a retry hands over nothing twice
    assert charge_hand_over(charge.pk) is None
    assert handed == [charge.pk]


def test_billing_failing_leaves_the_charge_recorded_and_the_ticket_resolved(desk, settings,
                                                                           django_capture_on_commit_callbacks):
    settings.TICKET_CHARGE_SINK = f"{__name__}.BrokenSink"
    quote = accepted(desk)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="换好了")
    assert ticket.status == "resolved"
    assert RepairCharge.objects.get().status == "recorded"
    # and a retry once billing is back hands it over
    settings.TICKET_CHARGE_SINK = f"{__name__}.BillingSink"
    charge = RepairCharge.objects.get()
    assert charge_hand_over(charge.pk) == f"BILL-{charge.pk}"


def test_the_default_sink_records_on_the_ticket(settings):
    del settings.TICKET_CHARGE_SINK
    assert isinstance(charge_sink(), RecordOnTicket)


# --- the list ----------------------------------------------------------------------------------------------------
def test_finance_and_managers_list_the_charges_newest_first(desk):
    finance = desk.manager.__class__(user=MembershipFactory(role="finance", estate=desk.estate).user,
                                     estate=desk.estate, roles=frozenset({"finance"}))
    older = RepairChargeFactory(quote__ticket=desk.ticket(status="resolved"))
    newer = RepairChargeFactory(quote__ticket=desk.ticket(status="resolved"), status="handed_over")
    assert [c.pk for c in charge_list(actor=finance).items] == [newer.pk, older.pk]
    assert [c.pk for c in charge_list(actor=desk.manager, status="recorded").items] == [older.pk]


@pytest.mark.parametrize("who", ["customer_service", "dispatcher", "technician", "resident"])
def test_nobody_else_lists_them(desk, who):
    with pytest.raises(Forbidden):
        charge_list(actor=getattr(desk, who))


def test_another_estates_charges_are_not_listed(desk, other_estate):
    RepairChargeFactory(quote__ticket=TicketFactory(house__unit__building__estate=other_estate,
                                                    category__estate=other_estate, status="resolved",
                                                    resolved_at=timezone.now()))
    assert charge_list(actor=desk.manager).items == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_one_query(desk, count, django_assert_num_queries):
    for _ in range(count):
        RepairChargeFactory(quote__ticket=desk.ticket(status="resolved"))
    with django_assert_num_queries(1):
        page = charge_list(actor=desk.manager)
        assert len({(c.ticket.number, c.house.code) for c in page.items}) == count
