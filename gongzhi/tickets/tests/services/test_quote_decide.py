"""The household decides on a quote: accept or decline, once (the same decision again is harmless, the other one is
409); staff cannot decide for them (403); another household does not see it (404)."""

import pytest

from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets.models import Quote
from gongzhi.tickets.quotes import quote_decide, quote_propose, quote_withdraw
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import QuoteFactory

LINE = {"kind": "labour", "description": "上门维修", "quantity": "1", "unit_price": "260.70"}


def proposed(desk, status="in_progress"):
    ticket = desk.ticket(status=status, assignee=desk.technician.user)
    return quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[LINE])


@pytest.mark.parametrize(("accept", "status", "title"), [(True, "accepted", "accepted"),
                                                         (False, "declined", "declined")])
def test_the_household_decides_and_the_technician_is_told(desk, accept, status, title):
    quote = proposed(desk)
    decided = quote_decide(actor=desk.resident, quote_id=quote.pk, accept=accept, note="尽快")
    assert (decided.status, decided.decided_by) == (status, desk.resident.user)
    assert decided.decided_at is not None
    entry = AuditEntry.objects.get(action=f"quote.{'accept' if accept else 'decline'}", object_id=str(quote.pk))
    assert (entry.before["status"], entry.after["status"], entry.after["decision_note"]) == (
        "proposed", status, "尽快")
    told = Notification.objects.get(user=desk.technician.user, kind="quote")
    assert "260.70" in told.body and "尽快" in told.body


def test_a_family_member_may_decide(desk):
    assert quote_decide(actor=desk.family, quote_id=proposed(desk).pk, accept=True).status == "accepted"


def test_the_same_decision_again_changes_nothing(desk):
    quote = proposed(desk)
    first = quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    again = quote_decide(actor=desk.family, quote_id=quote.pk, accept=True)
    assert (again.status, again.decided_by, again.decided_at) == ("accepted", desk.resident.user, first.decided_at)
    assert AuditEntry.objects.filter(action="quote.accept").count() == 1


@pytest.mark.parametrize("first", [True, False])
def test_the_opposite_decision_is_409(desk, first):
    quote = proposed(desk)
    quote_decide(actor=desk.resident, quote_id=quote.pk, accept=first)
    with pytest.raises(Conflict) as error:
        quote_decide(actor=desk.resident, quote_id=quote.pk, accept=not first)
    assert error.value.code == "quote_decided"
    assert Quote.objects.get(pk=quote.pk).status == ("accepted" if first else "declined")


def test_a_withdrawn_quote_cannot_be_decided_409(desk):
    quote = proposed(desk)
    quote_withdraw(actor=desk.technician, quote_id=quote.pk)
    with pytest.raises(Conflict) as error:
        quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    assert error.value.code == "quote_decided"


def test_accepting_after_the_work_is_done_is_409_but_declining_is_fine(desk):
    ticket = desk.ticket(status="resolved", assignee=desk.technician.user)
    quote = QuoteFactory(ticket=ticket, proposed_by=desk.technician.user)
    with pytest.raises(Conflict) as error:
        quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    assert error.value.code == "quote_not_now"
    assert quote_decide(actor=desk.resident, quote_id=quote.pk, accept=False).status == "declined"


@pytest.mark.parametrize("who", ["technician", "dispatcher", "manager", "customer_service"])
def test_staff_cannot_decide_403(desk, who):
    quote = proposed(desk)
    with pytest.raises(Forbidden):
        quote_decide(actor=getattr(desk, who), quote_id=quote.pk, accept=True)
    assert Quote.objects.get(pk=quote.pk).status == "proposed"


@pytest.mark.parametrize("who", ["neighbour", "technician2", "guard"])
def test_others_do_not_see_the_quote_404(desk, who):
    with pytest.raises(NotFound):
        quote_decide(actor=getattr(desk, who), quote_id=proposed(desk).pk, accept=True)


def test_a_quote_of_another_estate_is_404(desk, other_estate):
    foreign = QuoteFactory(ticket=TicketFactory(house__unit__building__estate=other_estate,
                                                category__estate=other_estate, status="in_progress"))
    with pytest.raises(NotFound):
        quote_decide(actor=desk.resident, quote_id=foreign.pk, accept=True)
