"""The daily housekeeping tasks: stale login-failure counters are purged, expired tokens are marked ended."""

from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from gongzhi.accounts.models import ApiToken
from gongzhi.accounts.services import token_create
from gongzhi.accounts.tasks import purge_stale_login_attempts, revoke_expired_tokens
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def failed_sign_in(phone: str, minutes_ago: int) -> AccessAttempt:
    attempt = AccessAttempt.objects.create(
        username=phone, ip_address="203.0.113.7", user_agent="test", http_accept="*/*", path_info="/accounts/login/",
        get_data="", post_data="", failures_since_start=3)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(minutes=minutes_ago))
    return attempt


def test_attempts_older_than_the_cool_off_are_purged_and_recent_ones_kept(settings):
    # given a cool-off of 15 minutes, one failure counter from yesterday and one from five minutes ago
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    old = failed_sign_in("13900000001", minutes_ago=24 * 60)
    recent = failed_sign_in("13900000002", minutes_ago=5)
    # when the task runs
    deleted = purge_stale_login_attempts.call_local()
    # then only the stale counter is gone, and the purge is in the audit log
    assert deleted == 1
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessAttempt.objects.filter(pk=old.pk).exists()
    entry = AuditEntry.objects.get(action="login_attempts.purge")
    assert entry.actor_label == "system" and entry.after["deleted"] == 1


def test_purging_twice_changes_nothing_the_second_time(settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    failed_sign_in("13900000001", minutes_ago=60)
    purge_stale_login_attempts.call_local()
    assert purge_stale_login_attempts.call_local() == 0
    assert AuditEntry.objects.filter(action="login_attempts.purge").count() == 1


def test_expired_tokens_are_marked_ended_at_their_expiry(user_factory, member, estate):
    # given a user with one expired and one live token
    user = user_factory()
    member("owner", estate, user=user)
    expired, _raw = token_create(user=user, name="old integration", estate_ids=[estate.pk], days=1)
    live, _raw = token_create(user=user, name="app", estate_ids=[estate.pk], days=30)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=2))
    # when the task runs
    changed = revoke_expired_tokens.call_local()
    # then the expired token is ended at the moment it expired, the live one untouched, and the change audited
    expired.refresh_from_db()
    live.refresh_from_db()
    assert changed == 1
    assert expired.revoked_at == expired.expires_at
    assert live.revoked_at is None
    entry = AuditEntry.objects.get(action="token.expire")
    assert entry.object_id == str(expired.pk) and entry.actor is None


def test_ending_expired_tokens_is_idempotent(user_factory, member, estate):
    user = user_factory()
    member("owner", estate, user=user)
    token, _raw = token_create(user=user, name="old", estate_ids=[estate.pk], days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert revoke_expired_tokens.call_local() == 1
    assert revoke_expired_tokens.call_local() == 0
    assert AuditEntry.objects.filter(action="token.expire").count() == 1


def test_the_tasks_run_once_a_day_at_night_in_shanghai():
    from huey.contrib.djhuey import HUEY

    def due(hour: int, minute: int) -> set[str]:
        at = datetime(2026, 3, 2, hour, minute)  # huey schedules in UTC
        return {type(task).__name__ for task in HUEY.read_periodic(at)}

    assert "purge_stale_login_attempts" in due(19, 17)  # 03:17 Asia/Shanghai
    assert "revoke_expired_tokens" in due(19, 23)
    assert not {"purge_stale_login_attempts", "revoke_expired_tokens"} & due(11, 17)
