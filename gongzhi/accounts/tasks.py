"""Periodic housekeeping of sign-ins and API tokens, run by the huey worker (`manage.py run_huey`).

Both tasks take no arguments, look at the state of the database when they run and are idempotent: a second run
finds nothing left to do and writes nothing.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.core.audit import audit_entry, audit_many

from .models import ApiToken


def login_attempts_purge_stale(*, now=None) -> int:
    """Delete django-axes failure counters older than the cool-off: they no longer lock anyone out, and they hold
    phone numbers and client addresses that should not be kept longer than needed (个人信息保护法: minimal
    retention). Returns how many were deleted."""
    from axes.models import AccessAttempt

    threshold = (now or timezone.now()) - settings.AXES_COOLOFF_TIME
    with transaction.atomic():
        deleted, _by_model = AccessAttempt.objects.filter(attempt_time__lt=threshold).delete()
        if deleted:
            audit_many([audit_entry(user=None, estate=None, action="login_attempts.purge",
                                    label="django-axes access attempts",
                                    after={"deleted": deleted, "older_than": threshold.isoformat()})])
    return deleted


def tokens_end_expired(*, now=None) -> int:
    """Mark API tokens whose expiry has passed as ended (``revoked_at`` = their expiry), so that the tokens page
    and the API show them as no longer usable and integrations' owners can see which ones to replace. Expired
    tokens are refused at sign-in already (``token_for_secret``); this records it. Returns how many changed."""
    now = now or timezone.now()
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update()
                      .filter(revoked_at__isnull=True, expires_at__lte=now).order_by("pk"))
        for token in tokens:
            token.revoked_at = token.expires_at
        ApiToken.objects.bulk_update(tokens, ["revoked_at"], batch_size=500)
        audit_many([audit_entry(user=None, estate=None, action="token.expire", obj=token,
                                before={"revoked_at": None}, after={"revoked_at": token.revoked_at.isoformat()})
                    for token in tokens])
    return len(tokens)


# Huey evaluates schedules in UTC: 19:17 UTC is 03:17 in Asia/Shanghai, a quiet hour for an estate.
@db_periodic_task(crontab(hour="19", minute="17"))
def purge_stale_login_attempts() -> int:
    return login_attempts_purge_stale()


@db_periodic_task(crontab(hour="19", minute="23"))
def revoke_expired_tokens() -> int:
    return tokens_end_expired()
