"""Withdrawing a quote: who proposed it, the assignee or the desk; again is harmless; a declined or charged quote
stays as it is."""

import pytest

from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.notifications.models import Notification
from gongzhi.tickets.models import Quote
from gongzhi.tickets.quotes import quote_decide, quote_propose, quote_withdraw
from gongzhi.tickets.services import ticket_resolve

LINE = {"kind": "material", "description": "水龙头", "quantity": "1", "unit_price": "120"}


def proposed(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    return quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[LINE])


@pytest.mark.parametrize("who", ["technician", "dispatcher", "manager"])
def test_the_assignee_or_the_desk_withdraws_and_the_household_is_told(desk, who):
    quote = proposed(desk)
    assert quote_withdraw(actor=getattr(desk, who), quote_id=quote.pk).status == "withdrawn"
    assert Quote.objects.get(pk=quote.pk).status == "withdrawn"
    assert Notification.objects.filter(user=desk.resident.user, kind="quote").count() == 2  # proposed, withdrawn


def test_an_accepted_quote_not_yet_charged_may_be_withdrawn(desk):
    quote = proposed(desk)
    quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    assert quote_withdraw(actor=desk.technician, quote_id=quote.pk).status == "withdrawn"


def test_withdrawing_again_changes_nothing(desk):
    quote = proposed(desk)
    quote_withdraw(actor=desk.technician, quote_id=quote.pk)
    assert quote_withdraw(actor=desk.technician, quote_id=quote.pk).status == "withdrawn"


def test_a_declined_quote_is_409(desk):
    quote = proposed(desk)
    quote_decide(actor=desk.resident, quote_id=quote.pk, accept=False)
    with pytest.raises(Conflict) as error:
        quote_withdraw(actor=desk.technician, quote_id=quote.pk)
    assert error.value.code == "quote_decided"


def test_a_charged_quote_is_409_and_cannot_be_replaced_either(desk):
    quote = proposed(desk)
    quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    ticket_resolve(actor=desk.technician, ticket_id=quote.ticket_id, note="修好了")
    with pytest.raises(Conflict) as error:
        quote_withdraw(actor=desk.manager, quote_id=quote.pk)
    assert error.value.code == "quote_charged"
    assert Quote.objects.get(pk=quote.pk).status == "accepted"


def test_the_household_and_another_technician_cannot_withdraw(desk):
    quote = proposed(desk)
    with pytest.raises(Forbidden):
        quote_withdraw(actor=desk.resident, quote_id=quote.pk)
    with pytest.raises(NotFound):
        quote_withdraw(actor=desk.technician2, quote_id=quote.pk)
