"""Background delivery of notifications by email and SMS (run by the huey worker, `manage.py run_huey`)."""

from huey.contrib.djhuey import db_task

from .services import notifications_deliver


@db_task(retries=2, retry_delay=60)
def deliver_notifications(notification_ids: list[int]) -> dict[int, list[str]]:
    """Idempotent: a channel already delivered is not sent again (see services.notifications_deliver)."""
    return notifications_deliver(notification_ids=notification_ids)
