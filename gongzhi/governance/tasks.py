"""Periodic jobs of owners' votes (DESIGN.md habit 8: ids in, reload, one service each, idempotent)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


def close_all_due(now=None) -> list[int]:
    """Close every open vote whose closing time has passed; returns the ids closed now."""
    from django.utils import timezone

    from .choices import VoteStatus
    from .models import Vote
    from .votes import vote_close_due

    now = now or timezone.now()
    closed = []
    for vote_id in Vote.objects.filter(status=VoteStatus.OPEN, closes_at__lte=now).values_list("id", flat=True):
        try:
            if vote_close_due(vote_id=vote_id, now=now):
                closed.append(vote_id)
        except Exception:
            log.exception("closing vote %s failed", vote_id)
    return closed


def remind_all(now=None) -> dict[int, int]:
    """Remind the houses that have not voted, vote by vote (each at most every vote.reminder_every_days)."""
    from django.utils import timezone

    from .choices import VoteStatus
    from .models import Vote
    from .votes import vote_remind_due

    now = now or timezone.now()
    sent = {}
    for vote_id in Vote.objects.filter(status=VoteStatus.OPEN, opens_at__lte=now, closes_at__gt=now).values_list(
            "id", flat=True):
        try:
            sent[vote_id] = vote_remind_due(vote_id=vote_id, now=now)
        except Exception:
            log.exception("reminding vote %s failed", vote_id)
    return sent


@db_periodic_task(crontab(minute="*/5"))
def close_due_votes():
    """Every 5 minutes: close the votes whose time is up."""
    return close_all_due()


@db_periodic_task(crontab(hour="9", minute="13"))
def remind_voters():
    """Daily at 09:13: remind houses that have not voted."""
    return remind_all()


@db_periodic_task(crontab(hour="9", minute="3"))
def remind_unscheduled_assemblies():
    """Daily at 09:03: remind the owners' committee of reached temporary-assembly requests it has not scheduled
    within ``assembly.schedule_within_days`` (idempotent within a day)."""
    from .assembly import assembly_reminders_send

    return assembly_reminders_send()


@db_periodic_task(crontab(hour="8", minute="31"))
def remind_action_items():
    """Daily at 08:31: remind the owners of council action items due tomorrow or overdue (idempotent within a day)."""
    from .council_meetings import action_reminders_send

    return action_reminders_send()
