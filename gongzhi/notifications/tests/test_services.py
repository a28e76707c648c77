"""Sending notifications: in-app at once, email and SMS after commit through the huey job, per preference."""

import logging

import pytest
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.notifications import services
from gongzhi.notifications.models import Notification, NotificationPreference

from .factories import NotificationFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.django_db
SMS_LOGGER = "gongzhi.notifications.sms"


def _notify(estate, users, **kwargs):
    kwargs.setdefault("kind", "system")
    kwargs.setdefault("title", _("Water cut %(when)s"))
    kwargs.setdefault("body", _("The water is off %(when)s."))
    kwargs.setdefault("params", {"when": "14:00"})
    return services.notify(estate=estate, users=users, **kwargs)


def test_notify_creates_in_app_rows_and_delivers_email_only_after_commit(
        estate, mailbox, huey_immediate, django_capture_on_commit_callbacks):
    """Given two users, one with an email address, when they are notified, then each has an unread in-app
    notification at once, and the email goes out only when the transaction commits (through the huey job)."""
    with_mail = UserFactory(email="wang@example.com", language="en")
    without = UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = _notify(estate, [with_mail, without, with_mail])
        assert len(mailbox) == 0  # not before the commit
    assert len(callbacks) == 1
    assert sorted(n.user_id for n in created) == sorted([with_mail.pk, without.pk])
    assert Notification.objects.filter(estate=estate, read_at__isnull=True).count() == 2
    assert [(m.to, m.subject, m.body) for m in mailbox] == [
        (["wang@example.com"], "Water cut 14:00", "The water is off 14:00.")]
    mine = Notification.objects.get(user=with_mail)
    assert mine.delivered_channels == ["email"]
    assert Notification.objects.get(user=without).delivered_channels == []


def test_nothing_is_sent_when_the_transaction_rolls_back(estate, mailbox, huey_immediate,
                                                         django_capture_on_commit_callbacks):
    user = UserFactory(email="li@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify(estate, [user])
    assert len(callbacks) == 1 and mailbox == []  # the callback never ran: the job was not enqueued


def test_sms_goes_out_masked_only_to_who_turned_it_on(estate, caplog, mailbox, huey_immediate,
                                                      django_capture_on_commit_callbacks):
    """Given SMS is opt-in, when two users are notified and only one turned SMS on, then only that one gets an
    SMS, logged by the logging provider with the number masked."""
    wants = UserFactory(phone="13812341234")
    services.preference_set(user=wants, channel="sms", kind="system", enabled=True)
    UserFactory(phone="13912345678")
    caplog.set_level(logging.INFO, logger=SMS_LOGGER)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(estate, list(type(wants).objects.filter(phone__in=["13812341234", "13912345678"])))
    sms = [r.getMessage() for r in caplog.records if r.name == SMS_LOGGER]
    assert len(sms) == 1
    assert sms[0].startswith("SMS to 138****1234: ")
    assert "13812341234" not in caplog.text and "13912345678" not in caplog.text


def test_email_turned_off_for_a_kind_is_not_sent(estate, mailbox, huey_immediate,
                                                 django_capture_on_commit_callbacks):
    user = UserFactory(email="zhao@example.com")
    NotificationPreferenceFactory(user=user, channel="email", kind="system", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(estate, [user])
        _notify(estate, [user], kind="ticket_update")
    assert len(mailbox) == 1  # the ticket update; the system message is off for email
    assert Notification.objects.filter(user=user).count() == 2  # in-app gets both


def test_redelivery_is_a_no_op(estate, mailbox, caplog, huey_immediate, django_capture_on_commit_callbacks):
    """Given a notification already delivered by email and SMS, when the job runs again (a retry), then nothing
    is sent twice."""
    user = UserFactory(email="sun@example.com")
    services.preference_set(user=user, channel="sms", kind="system", enabled=True)
    caplog.set_level(logging.INFO, logger=SMS_LOGGER)
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _notify(estate, [user])
    assert len(mailbox) == 1
    assert services.notifications_deliver(notification_ids=[notification.pk]) == {}
    assert len(mailbox) == 1
    assert len([r for r in caplog.records if r.name == SMS_LOGGER]) == 1
    notification.refresh_from_db()
    assert sorted(notification.delivered_channels) == ["email", "sms"]


def test_titles_are_rendered_in_each_recipients_language(estate):
    english, chinese = UserFactory(language="en"), UserFactory(language="zh-hans")
    services.notify(estate=estate, users=[english, chinese], kind="system", title=_("Assigned"), body=_("Assigned"))
    assert Notification.objects.get(user=english).title == "Assigned"
    assert Notification.objects.get(user=chinese).title == "已派单"


def test_mark_read_is_idempotent(estate, member):
    user = member("owner", estate)
    actor = resolve_actor(user, estate.pk)
    notification = NotificationFactory(estate=estate, user=user)
    first = services.notification_mark_read(actor=actor, notification_id=notification.pk).read_at
    again = services.notification_mark_read(actor=actor, notification_id=notification.pk).read_at
    assert first is not None and again == first


def test_another_users_notification_is_not_found(estate, member):
    mine, theirs = member("owner", estate), member("owner", estate)
    notification = NotificationFactory(estate=estate, user=theirs)
    with pytest.raises(NotFound):
        services.notification_mark_read(actor=resolve_actor(mine, estate.pk), notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_the_actors_unread_in_this_estate(estate, other_estate, member):
    user = member("owner", estate)
    member("owner", other_estate, user=user)
    here = NotificationFactory.create_batch(2, estate=estate, user=user)
    elsewhere = NotificationFactory(estate=other_estate, user=user)
    someone_else = NotificationFactory(estate=estate)
    assert services.notifications_mark_all_read(actor=resolve_actor(user, estate.pk)) == 2
    assert services.notifications_mark_all_read(actor=resolve_actor(user, estate.pk)) == 0
    assert all(Notification.objects.get(pk=n.pk).read_at for n in here)
    assert Notification.objects.get(pk=elsewhere.pk).read_at is None
    assert Notification.objects.get(pk=someone_else.pk).read_at is None


def test_in_app_cannot_be_turned_off(db):
    user = UserFactory()
    with pytest.raises(DomainError) as refused:
        services.preference_set(user=user, channel="in_app", kind="system", enabled=False)
    assert refused.value.code == "in_app_required"
    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationPreference.objects.create(user=user, channel="in_app", kind="system", enabled=False)


def test_preference_set_twice_keeps_one_row(db):
    user = UserFactory()
    services.preference_set(user=user, channel="email", kind="system", enabled=False)
    services.preference_set(user=user, channel="email", kind="system", enabled=True)
    assert list(NotificationPreference.objects.filter(user=user).values_list("enabled", flat=True)) == [True]
