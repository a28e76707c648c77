"""Background jobs of notices."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import notice_publish_due


@db_periodic_task(crontab(minute="*"))
def publish_due_notices() -> list[int]:
    """Every minute: publish the scheduled notices whose time has come. Idempotent: each is published under its
    row lock only if still scheduled, so an overlapping run or a second worker publishes nothing twice."""
    return notice_publish_due()
