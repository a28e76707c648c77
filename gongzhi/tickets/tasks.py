"""The tickets' periodic jobs. Each is idempotent: running it twice, or late, does no harm."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def sla_sweep():
    """Every minute: flag tickets at risk or in breach of their SLA and escalate (gongzhi.tickets.sla)."""
    from .sla import sweep

    sweep()


@db_periodic_task(crontab(minute="7"))
def close_unrated():
    """Hourly: close resolved tickets nobody rated within the estate's time, without a rating."""
    from .feedback import auto_close_unrated

    auto_close_unrated()
