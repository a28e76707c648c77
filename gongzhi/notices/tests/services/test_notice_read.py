"""Stories of who sees which notice, until when, and of read receipts per house."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gongzhi.core.errors import NotFound
from gongzhi.notices import selectors, services
from gongzhi.notices.models import Notice, NoticeHouse
from gongzhi.notices.policies import resident_feed

pytestmark = pytest.mark.django_db
US = datetime.timedelta(microseconds=1)


def publish(board, **kwargs):
    fields = {"title": "电梯停运", "body": "1号楼电梯检修", "kind": "emergency", "category": "elevator_stop",
              "target": "buildings", "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    notice = services.notice_create(actor=board.manager, **fields)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def test_a_resident_of_building_2_cannot_see_a_building_1_notice(board):
    notice = publish(board)
    assert selectors.notice_get(actor=board.resident, notice_id=notice.pk) == notice
    with pytest.raises(NotFound):
        selectors.notice_get(actor=board.far, notice_id=notice.pk)
    with pytest.raises(NotFound):
        selectors.notice_feed_get(actor=board.far, notice_id=notice.pk)
    # staff see everything
    assert selectors.notice_get(actor=board.technician, notice_id=notice.pk) == notice


def test_residents_never_see_drafts_and_technicians_neither(board):
    notice = services.notice_create(actor=board.manager, title="草稿", body="b")
    for actor in (board.resident, board.technician):
        with pytest.raises(NotFound):
            selectors.notice_get(actor=actor, notice_id=notice.pk)
    assert selectors.notice_get(actor=board.liaison, notice_id=notice.pk) == notice


def test_a_notice_leaves_the_feed_exactly_at_its_expiry(board):
    expires = timezone.now() + datetime.timedelta(days=1)
    notice = publish(board, expires_at=expires)
    qs = Notice.objects.for_estate(board.estate)
    assert list(resident_feed(board.resident, qs, now=expires - US)) == [notice]
    assert list(resident_feed(board.resident, qs, now=expires)) == []
    assert notice.state(expires - US) == "current" and notice.state(expires) == "expired"
    # the archive keeps it
    assert selectors.notice_get(actor=board.manager, notice_id=notice.pk) == notice


def test_a_household_that_moves_in_later_still_sees_the_building_notice(board):
    from gongzhi.estate.tests.factories import PersonFactory, ResidencyFactory

    notice = publish(board)
    newcomer = board.liaison  # any user; give them a home in the empty house of building 1
    from gongzhi.accounts.tests.factories import MembershipFactory

    MembershipFactory(user=newcomer.user, estate=board.estate, role="tenant")
    person = PersonFactory(estate=board.estate, user=newcomer.user)
    ResidencyFactory(house=board.empty, person=person, kind="tenant", is_representative=False)
    assert notice in selectors.notice_feed(actor=newcomer)
    # reading it records nothing: the receipts are the audience frozen at publication
    assert services.notice_mark_read(actor=newcomer, notice=notice) == 0


def test_the_first_reader_of_a_household_marks_the_house_read_once(board):
    notice = publish(board)
    assert services.notice_mark_read(actor=board.family, notice=notice) == 1
    first = NoticeHouse.objects.get(notice=notice, house=board.home)
    assert first.read_by == board.family.user and first.read_at is not None
    # the owner opening it later, or the family member again, changes nothing
    assert services.notice_mark_read(actor=board.resident, notice=notice) == 0
    assert services.notice_mark_read(actor=board.family, notice=notice) == 0
    again = NoticeHouse.objects.get(notice=notice, house=board.home)
    assert (again.read_by, again.read_at) == (first.read_by, first.read_at)
    summary = selectors.receipts_summary(actor=board.manager, notice=notice)
    assert (summary["total"], summary["read"], summary["unread"]) == (2, 1, 1)
    assert summary["buildings"] == [{"building_id": board.b1.pk, "building": "1", "total": 2, "read": 1,
                                     "unread": 1, "percent": 50}]
    assert [r.house_id for r in selectors.unread_houses(actor=board.manager, notice=notice)] == [
        board.neighbour_home.pk]


def test_mark_read_costs_one_query(board, django_assert_num_queries):
    notice = publish(board)
    with django_assert_num_queries(1):
        services.notice_mark_read(actor=board.resident, notice=notice)


@pytest.mark.django_db(transaction=True)
def test_a_double_request_records_one_reader(board):
    """Two members of the household open the notice at the same moment: one receipt, one reader."""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    notice = publish(board)
    results, barrier = [], threading.Barrier(2)

    def read(actor):
        try:
            barrier.wait()
            results.append(services.notice_mark_read(actor=actor, notice=notice))
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(a,)) for a in (board.resident, board.family)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    receipt = NoticeHouse.objects.get(notice=notice, house=board.home)
    assert receipt.read_by in {board.resident.user, board.family.user}


def test_receipts_are_the_consoles(board):
    notice = publish(board)
    assert selectors.receipts_by_building(actor=board.resident, notice=notice) == []
    assert selectors.receipts_by_building(actor=board.technician, notice=notice) == []
    assert selectors.receipts_by_building(actor=board.liaison, notice=notice)[0]["total"] == 2
