"""The ledger's periodic jobs. Each is idempotent: running it twice, or late, does no harm."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="9", minute="17"))
def fund_top_up_reminders():
    """Daily: remind the owners of houses whose maintenance-fund balance is below the top-up line (one reminder
    per house per month, so a rerun or a late run sends nothing twice). Estates one by one: one failing does not
    stop the others."""
    from django.utils import timezone

    from gongzhi.estate.models import Estate

    from .fund import estates_with_fund, fund_send_top_up_reminders

    today = timezone.localdate()
    for estate_id in estates_with_fund():
        estate = Estate.objects.filter(pk=estate_id).first()
        if estate is None:
            continue
        try:
            fund_send_top_up_reminders(estate=estate, today=today)
        except Exception:
            log.exception("maintenance fund reminders failed for estate %s", estate_id)
