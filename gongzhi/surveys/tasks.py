"""Surveys' periodic jobs, idempotent: publishing the scheduled surveys of the period (one per schedule and
period, however often it runs) and closing the surveys past their closing time."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
def publish_scheduled_surveys():
    """Hourly: the first run in a new period publishes its survey; later runs find it and do nothing."""
    from .schedule import schedules_run

    return schedules_run()


@db_periodic_task(crontab(minute="*/10"))
def close_due_surveys():
    from .builder import surveys_close_due

    return surveys_close_due()
