"""Stories of publishing: now or on schedule, the frozen audience, and the push to residents."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.estate.tests.factories import PersonFactory, ResidencyFactory
from gongzhi.notices import services
from gongzhi.notices.models import Notice, NoticeHouse
from gongzhi.notices.tasks import publish_due_notices
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db
US = datetime.timedelta(microseconds=1)


def draft(board, **kwargs):
    fields = {"title": "1号楼停水", "body": "明天停水。", "kind": "emergency", "category": "water_cut",
              "target": "buildings", "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    return services.notice_create(actor=board.manager, **fields)


def test_publishing_freezes_the_households_of_the_target(board):
    notice = draft(board)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    notice.refresh_from_db()
    # then building 1's lived-in houses are the audience; the empty house and building 2 are not
    assert notice.status == "published" and notice.published_at is not None
    assert set(NoticeHouse.objects.filter(notice=notice).values_list("house_id", flat=True)) == {
        board.home.pk, board.neighbour_home.pk}
    assert notice.audience_houses == 2
    # when someone moves into the empty house afterwards
    ResidencyFactory(house=board.empty, person=PersonFactory(estate=board.estate))
    # then the audience and its counts stay as they were at publication
    assert NoticeHouse.objects.filter(notice=notice).count() == 2


def test_a_unit_target_reaches_only_that_unit(board):
    notice = draft(board, target="units", unit_ids=[board.u12.pk], building_ids=[])
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    assert list(NoticeHouse.objects.filter(notice=notice).values_list("house_id", flat=True)) == [
        board.neighbour_home.pk]


def test_an_emergency_is_pushed_to_every_resident_of_the_target_and_nobody_else(board):
    notice = draft(board)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    pushed = Notification.objects.filter(kind="notice_emergency")
    assert set(pushed.values_list("user_id", flat=True)) == {
        board.resident.user.pk, board.family.user.pk, board.neighbour.user.pk}
    assert pushed.first().url == f"/e/{board.estate.pk}/notices/{notice.pk}/"
    assert "1号楼停水" in pushed.first().title


def test_an_important_routine_notice_notifies_in_app_and_a_plain_one_does_not(board):
    plain = draft(board, kind="routine", category="", target="estate")
    services.notice_publish(actor=board.manager, notice_id=plain.pk)
    assert not Notification.objects.exists()
    important = draft(board, kind="routine", category="", target="estate", important=True)
    services.notice_publish(actor=board.manager, notice_id=important.pk)
    assert Notification.objects.filter(kind="notice").count() == 4  # the four residents, no staff
    assert not Notification.objects.filter(kind="notice_emergency").exists()


def test_publishing_twice_answers_409(board):
    notice = draft(board)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    with pytest.raises(Conflict) as caught:
        services.notice_publish(actor=board.manager, notice_id=notice.pk)
    assert caught.value.code == "notice_published"
    assert NoticeHouse.objects.filter(notice=notice).count() == 2


def test_a_scheduled_notice_is_published_exactly_at_its_time_and_only_once(board):
    at = timezone.now() + datetime.timedelta(hours=2)
    notice = draft(board)
    services.notice_publish(actor=board.manager, notice_id=notice.pk, publish_at=at)
    notice.refresh_from_db()
    assert notice.status == "scheduled" and not NoticeHouse.objects.filter(notice=notice).exists()
    # a microsecond early: nothing
    assert services.notice_publish_due(now=at - US) == []
    # at the time: published, audience frozen, residents pushed
    assert services.notice_publish_due(now=at) == [notice.pk]
    notice.refresh_from_db()
    assert notice.status == "published" and notice.published_at == at and notice.audience_houses == 2
    # a second run (an overlapping worker) does nothing more
    assert services.notice_publish_due(now=at + US) == []
    assert Notification.objects.filter(kind="notice_emergency").count() == 3


def test_the_periodic_task_publishes_what_is_due(board):
    notice = draft(board)
    Notice.objects.filter(pk=notice.pk).update(status="scheduled",
                                               publish_at=timezone.now() - datetime.timedelta(minutes=1))
    publish_due_notices.call_local()
    notice.refresh_from_db()
    assert notice.status == "published"


def test_a_schedule_must_come_before_the_expiry(board):
    now = timezone.now()
    notice = draft(board, expires_at=now + datetime.timedelta(hours=1))
    with pytest.raises(DomainError) as caught:
        services.notice_publish(actor=board.manager, notice_id=notice.pk,
                                publish_at=now + datetime.timedelta(hours=1))
    assert caught.value.detail == {"field": "expires_at"}


def test_an_already_expired_draft_cannot_be_published(board):
    notice = draft(board, expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(DomainError):
        services.notice_publish(actor=board.manager, notice_id=notice.pk)


def test_another_apps_service_publishes_its_notice_on_behalf_of_the_committee(board, actor_for):
    # given the owners' committee chair, who does not write the company's notices
    chair = actor_for("committee_chair", board.estate)
    with pytest.raises(Forbidden):
        services.notice_create(actor=chair, title="t", body="b")
    # when the vote service publishes the assembly's convocation on the chair's behalf
    notice = services.notice_publish_on_behalf(actor=chair, title="业主大会表决公告", body="表决自今日起。")
    notice.refresh_from_db()
    # then it is published to the whole estate now, and the audit names the chair
    assert notice.status == "published" and notice.published_by == chair.user
    assert notice.audience_houses == board.households
    from gongzhi.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="notice.publish", object_id=str(notice.pk), actor=chair.user).exists()
