"""Where the amount of a completed paid repair goes: the interface the billing app fulfils (issue 3).

When a ticket with an accepted quote is resolved, ``gongzhi.tickets.quotes`` records a ``RepairCharge`` (once per
quote: the one-to-one on the quote backs it) and, after the transaction commits, hands it to the *charge sink*
named by the setting ``TICKET_CHARGE_SINK`` (a dotted path to a ``ChargeSink`` subclass; default
``gongzhi.tickets.charges.RecordOnTicket``).

To fulfil it, the billing app:

1. subclasses ``ChargeSink`` and implements ``hand_over(charge)``: turn the charge into whatever the household is
   billed with (``charge.estate``, ``charge.house``, ``charge.amount`` in yuan as a ``Decimal`` with 2 places,
   ``charge.ticket`` for the text of the bill line, ``charge.pk`` as an idempotency key) and return the billing
   system's reference for it (at most 64 characters), or None if it has not taken it over;
2. sets ``TICKET_CHARGE_SINK = "gongzhi.billing.charges.BillRepairCharge"`` (for example) in the settings.

``hand_over`` is called once per charge after commit, and again for a charge still ``recorded`` whenever
``charge_hand_over`` is called for it (a retry): it must be idempotent on ``charge.pk``. A returned reference moves
the charge to ``handed_over`` with ``billing_reference`` set; None leaves it ``recorded`` (shown on the ticket). An
exception is logged and leaves the charge ``recorded``: the ticket's resolution is never undone by billing.
"""

import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from gongzhi.core.audit import audit

from .choices import ChargeStatus

log = logging.getLogger(__name__)

DEFAULT_SINK = "gongzhi.tickets.charges.RecordOnTicket"
REFERENCE_MAX = 64


class ChargeSink(ABC):
    """Takes a recorded repair charge over for billing."""

    @abstractmethod
    def hand_over(self, charge) -> str | None:
        """Bill ``charge`` (a ``RepairCharge``); return the billing reference, or None if not taken over."""


class RecordOnTicket(ChargeSink):
    """The default until the billing app exists: the charge stays recorded on the ticket, for the desk and the
    finance staff to see (``charge_list``)."""

    def hand_over(self, charge) -> str | None:
        return None


def charge_sink() -> ChargeSink:
    """The sink the settings name (``TICKET_CHARGE_SINK``), or the default."""
    return import_string(getattr(settings, "TICKET_CHARGE_SINK", DEFAULT_SINK))()


def charge_hand_over(charge_id: int) -> str | None:
    """Hand one recorded charge to the sink (after commit, or as a retry). Returns the billing reference, if any.
    A charge already handed over or cancelled is left alone."""
    from .models import RepairCharge

    with transaction.atomic():
        charge = (RepairCharge.objects.select_for_update().select_related("ticket", "house", "estate")
                  .filter(pk=charge_id, status=ChargeStatus.RECORDED).first())
        if charge is None:
            return None
        try:
            with transaction.atomic():
                reference = charge_sink().hand_over(charge)
        except Exception:  # billing failing must not undo or block anything here: the charge stays recorded
            log.exception("repair charge %s: hand-over to billing failed", charge_id)
            return None
        if not reference:
            return None
        reference = str(reference)[:REFERENCE_MAX]
        RepairCharge.objects.filter(pk=charge.pk).update(status=ChargeStatus.HANDED_OVER,
                                                         billing_reference=reference)
        audit(user=None, estate=charge.estate, action="repair_charge.hand_over", obj=charge,
              before={"status": ChargeStatus.RECORDED}, after={"status": ChargeStatus.HANDED_OVER,
                                                               "billing_reference": reference})
        return reference
