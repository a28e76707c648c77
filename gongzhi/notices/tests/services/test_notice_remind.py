"""Stories of reminding the unread houses, at most once per window."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, Forbidden
from gongzhi.notices import services
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def publish(board, **kwargs):
    fields = {"title": "年度消防检查", "body": "请配合入户检查", "important": True, "target": "buildings",
              "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    notice = services.notice_create(actor=board.manager, **fields)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    Notification.objects.all().delete()
    notice.refresh_from_db()
    return notice


def test_the_reminder_goes_to_the_unread_houses_only(board):
    notice = publish(board)
    services.notice_mark_read(actor=board.resident, notice=notice)
    assert services.notice_remind(actor=board.customer_service, notice_id=notice.pk) == 1
    assert list(Notification.objects.values_list("user_id", "kind")) == [(board.neighbour.user.pk, "notice")]


def test_a_second_reminder_within_the_window_answers_409_with_the_next_time(board, settings, monkeypatch):
    settings.NOTICE_REMIND_HOURS = 6
    notice = publish(board)
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    services.notice_remind(actor=board.manager, notice_id=notice.pk)
    window_end = start + datetime.timedelta(hours=6)
    monkeypatch.setattr(timezone, "now", lambda: window_end - datetime.timedelta(microseconds=1))
    with pytest.raises(Conflict) as caught:
        services.notice_remind(actor=board.manager, notice_id=notice.pk)
    assert caught.value.code == "remind_too_soon"
    assert caught.value.detail == {"next_allowed_at": window_end.isoformat()}
    assert Notification.objects.count() == 3  # the owner, the family member, the neighbour
    # exactly at the end of the window it may go again
    monkeypatch.setattr(timezone, "now", lambda: window_end)
    services.notice_remind(actor=board.manager, notice_id=notice.pk)
    assert Notification.objects.count() == 6


def test_plain_notices_and_the_liaison_do_not_remind(board):
    plain = publish(board, important=False)
    with pytest.raises(Conflict) as caught:
        services.notice_remind(actor=board.manager, notice_id=plain.pk)
    assert caught.value.code == "notice_not_important"
    important = publish(board)
    with pytest.raises(Forbidden):
        services.notice_remind(actor=board.liaison, notice_id=important.pk)


def test_a_withdrawn_notice_is_not_reminded_of(board):
    notice = publish(board)
    services.notice_withdraw(actor=board.manager, notice_id=notice.pk, reason="取消")
    with pytest.raises(Conflict) as caught:
        services.notice_remind(actor=board.manager, notice_id=notice.pk)
    assert caught.value.code == "notice_not_current"
