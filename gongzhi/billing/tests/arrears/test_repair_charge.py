"""A paid repair becomes a one-off bill: the ticket's charge is handed to billing's sink after the ticket is
resolved, billed once (source key repair:<charge>), posted to the ledger as other fees (4009)."""

from decimal import Decimal

import pytest

from gongzhi.billing.charges import BillRepairCharge
from gongzhi.billing.choices import BillKind
from gongzhi.billing.models import Bill
from gongzhi.ledger.models import JournalLine
from gongzhi.tickets.charges import charge_hand_over
from gongzhi.tickets.models import RepairCharge
from gongzhi.tickets.quotes import quote_decide, quote_propose
from gongzhi.tickets.services import ticket_resolve
from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db
LINES = [{"kind": "material", "description": "软管", "quantity": "3", "unit_price": "20.23"},
         {"kind": "labour", "description": "更换", "quantity": "1", "unit_price": "200"}]


def test_a_resolved_paid_repair_is_billed_once(fees, settings, django_capture_on_commit_callbacks):
    settings.TICKET_CHARGE_SINK = "gongzhi.billing.charges.BillRepairCharge"
    house = fees.houses[0]
    ticket = TicketFactory(house=house, submitted_by=fees.owner.user, status="in_progress",
                           assignee=fees.technician.user, category=CategoryFactory(estate=fees.estate))
    # given the owner accepted the technician's quote of 260.69
    quote = quote_propose(actor=fees.technician, ticket_id=ticket.pk, lines=LINES)
    quote_decide(actor=fees.owner, quote_id=quote.pk, accept=True)
    # when the ticket is resolved
    with django_capture_on_commit_callbacks(execute=True):
        ticket_resolve(actor=fees.technician, ticket_id=ticket.pk, note="换好了")
    # then the house has a one-off bill for it, and the charge points at it
    charge = RepairCharge.objects.get()
    bill = Bill.objects.get(source_key=f"repair:{charge.pk}")
    assert (bill.house, bill.kind, bill.amount) == (house, BillKind.ONE_OFF, Decimal("260.69"))
    assert bill.lines.get().ledger_code == "4009"
    assert (charge.status, charge.billing_reference) == ("handed_over", f"bill:{bill.pk}")
    assert JournalLine.objects.filter(entry__reference=f"billing:bill:{bill.pk}", account__code="4009",
                                      credit=Decimal("260.69")).exists()
    # and handing it over again bills nothing twice
    assert BillRepairCharge().hand_over(charge) == f"bill:{bill.pk}"
    assert charge_hand_over(charge.pk) is None
    assert Bill.objects.filter(source_key__startswith="repair:").count() == 1
