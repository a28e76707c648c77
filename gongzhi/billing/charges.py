"""The ticket system's charge sink (``gongzhi.tickets.charges``): a completed paid repair becomes a one-off bill of
the house, credited to other fees and paid services (4009), once per charge.

Set ``TICKET_CHARGE_SINK = "gongzhi.billing.charges.BillRepairCharge"`` to use it. ``hand_over`` is idempotent on
the charge (the bill's source key is ``repair:<charge id>``): a retry returns the same bill's reference."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from gongzhi.tickets.charges import ChargeSink

from .choices import BillKind, LedgerCode


def repair_source_key(charge) -> str:
    return f"repair:{charge.pk}"


class BillRepairCharge(ChargeSink):
    """Bills a recorded repair charge through ``bill_one_off_issue`` and answers ``bill:<id>``."""

    def hand_over(self, charge) -> str | None:
        from .bills import bill_one_off_issue

        ticket = charge.ticket
        with translation.override(settings.LANGUAGE_CODE):
            description = gettext("Paid repair %(number)s: %(title)s") % {"number": ticket.number,
                                                                           "title": ticket.title}
            explanation = gettext("Repair ticket %(number)s, accepted quote: %(amount)s yuan") % {
                "number": ticket.number, "amount": charge.amount}
        bill = bill_one_off_issue(
            actor=None, house=charge.house, description=description[:120], amount=charge.amount,
            source_key=repair_source_key(charge), ledger_code=LedgerCode.OTHER, kind=BillKind.ONE_OFF,
            explanation=explanation, basis={"ticket_id": ticket.pk, "ticket": ticket.number,
                                            "quote_id": charge.quote_id, "charge_id": charge.pk,
                                            "amount": str(charge.amount)},
            check_permission=False)
        return f"bill:{bill.pk}"
