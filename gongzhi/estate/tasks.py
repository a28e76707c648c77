"""Background jobs of the registry."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .importing import staging


@db_periodic_task(crontab(minute="41", hour="19"))  # 03:41 in Shanghai (huey schedules in UTC)
def purge_staged_imports() -> int:
    """Files checked by a dry run and never imported are removed after a day: they hold personal data."""
    return staging.purge_stale()
