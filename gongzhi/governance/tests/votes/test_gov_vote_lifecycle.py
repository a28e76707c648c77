"""A vote's life: draft, items, opening (roll frozen, notice published), extension, close, publication, cancel;
and editing a vote that is no longer a draft (issue 6 "Bad input": each refusal changes nothing)."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.audit import AuditEntry
from gongzhi.core.errors import DomainError
from gongzhi.governance import ballots as b
from gongzhi.governance import tasks
from gongzhi.governance import votes as svc
from gongzhi.governance.choices import BallotForm, Matter
from gongzhi.governance.count import result_digest
from gongzhi.governance.models import RollEntry, Vote, VoteExtension, VoteItem
from gongzhi.notices.models import Notice
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def refused(expected, fn, **kwargs):
    with pytest.raises(DomainError) as caught:
        fn(**kwargs)
    assert caught.value.code == expected, caught.value.text()
    return caught.value


def test_opening_freezes_the_roll_publishes_the_notice_and_notifies_the_representatives(
        town, make_vote, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        vote, _item = make_vote()
    assert vote.status == "open" and vote.opened_at is not None
    assert RollEntry.objects.filter(vote=vote).count() == 6 and vote.total_heads == 6
    assert vote.roll_sha256 and vote.rules["participation_area"] == "2/3"
    assert Notice.objects.get(pk=vote.notice_id).status == "published"
    assert Notification.objects.filter(kind="vote").count() == 6
    assert AuditEntry.objects.filter(action="vote.open", object_id=str(vote.pk)).exists()


def test_creating_with_the_same_key_twice_makes_one_vote(town):
    now = timezone.now()
    kwargs = {"actor": town.organiser, "title": "Assembly", "opens_at": now,
              "closes_at": now + datetime.timedelta(days=20), "idempotency_key": "k1"}
    assert svc.vote_create(**kwargs).pk == svc.vote_create(**kwargs).pk
    refused("idempotency_key_reused", svc.vote_create, **{**kwargs, "title": "Another"})
    assert Vote.objects.count() == 1


def test_an_owner_cannot_organise(town):
    now = timezone.now()
    refused("forbidden", svc.vote_create, actor=town.owners[0], title="Mine", opens_at=now,
            closes_at=now + datetime.timedelta(days=20))


def test_bad_drafts_are_refused_naming_the_field(town):
    now = timezone.now()
    error = refused("invalid_field", svc.vote_create, actor=town.organiser, title="x", opens_at=now, closes_at=now)
    assert error.detail["field"] == "closes_at"
    vote = svc.vote_create(actor=town.organiser, title="Assembly", opens_at=now,
                           closes_at=now + datetime.timedelta(days=20))
    for seats in (4, 6, 13):  # the owners' committee: 5-11, odd
        error = refused("invalid_field", svc.vote_item_add, actor=town.organiser, vote_id=vote.pk, title="Elect",
                        matter=Matter.COMMITTEE, form=BallotForm.ELECTION, seats=seats,
                        options=[{"person_id": p.pk} for p in town.persons])
        assert error.detail["field"] == "seats"
    refused("invalid_field", svc.vote_item_add, actor=town.organiser, vote_id=vote.pk, title="Pick",
            matter=Matter.OTHER, form=BallotForm.CHOOSE_ONE, options=[{"label": "Only one"}])
    assert not VoteItem.objects.exists()


def test_an_assembly_needs_its_notice_period(town, make_vote):
    vote, _item = make_vote(open=False, days=10)
    error = refused("notice_too_short", svc.vote_open, actor=town.organiser, vote_id=vote.pk)
    assert error.status == 409 and "15 days" in error.text("en")
    assert Vote.objects.get(pk=vote.pk).status == "draft" and not RollEntry.objects.exists()


def test_a_vote_without_items_does_not_open(town):
    now = timezone.now()
    vote = svc.vote_create(actor=town.organiser, title="Empty", opens_at=now,
                           closes_at=now + datetime.timedelta(days=20))
    refused("invalid_field", svc.vote_open, actor=town.organiser, vote_id=vote.pk)


def test_editing_an_open_or_closed_vote_is_refused(town, make_vote):
    vote, item = make_vote()
    for fn, kwargs in ((svc.vote_update, {"title": "New"}),
                       (svc.vote_item_add, {"title": "More", "matter": Matter.OTHER}),
                       (svc.vote_item_remove, {"item_id": item.pk})):
        error = refused("vote_not_draft", fn, actor=town.organiser, vote_id=vote.pk, **kwargs)
        assert error.status == 409
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    error = refused("vote_not_draft", svc.vote_update, actor=town.organiser, vote_id=vote.pk, title="New")
    assert "Closed" in error.text("en")
    refused("vote_state", svc.vote_extend, actor=town.organiser, vote_id=vote.pk,
            closes_at=timezone.now() + datetime.timedelta(days=30), reason="more time")
    refused("vote_state", svc.vote_cancel, actor=town.organiser, vote_id=vote.pk, reason="oops")
    assert Vote.objects.get(pk=vote.pk).title == "Repaint the fence"


def test_extending_records_the_extension_and_reminds_who_has_not_voted(
        town, make_vote, django_capture_on_commit_callbacks):
    vote, item = make_vote()
    b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                         answers={item.pk: {"choice": "for"}})
    refused("invalid_field", svc.vote_extend, actor=town.organiser, vote_id=vote.pk,
            closes_at=vote.closes_at - datetime.timedelta(days=1), reason="earlier")
    new = vote.closes_at + datetime.timedelta(days=7)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        vote = svc.vote_extend(actor=town.organiser, vote_id=vote.pk, closes_at=new, reason="low turnout")
    assert vote.closes_at == new
    extension = VoteExtension.objects.get(vote=vote)
    assert extension.reason == "low turnout" and extension.notice.status == "published"
    assert Notification.objects.filter(kind="vote").count() == 5  # not the house that voted


def test_the_job_closes_due_votes_once(town, make_vote):
    vote, _item = make_vote()
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    assert tasks.close_all_due() == [vote.pk]
    assert tasks.close_all_due() == []
    assert Vote.objects.get(pk=vote.pk).status == "closed"
    assert svc.vote_close(actor=town.organiser, vote_id=vote.pk).status == "closed"  # idempotent


def test_reminders_go_at_most_every_few_days(town, make_vote, django_capture_on_commit_callbacks):
    vote, _item = make_vote()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_all() == {vote.pk: 6}
        assert tasks.remind_all() == {vote.pk: 0}
        later = timezone.now() + datetime.timedelta(days=3, minutes=1)
        assert tasks.remind_all(later) == {vote.pk: 6}


def test_publishing_stores_a_recomputable_result_and_a_result_notice(town, make_vote):
    vote, item = make_vote()
    for i, choice in enumerate(["for", "for", "for", "against", "abstain"]):
        b.ballot_cast_online(actor=town.owners[i], vote_id=vote.pk, house_id=town.houses[i].pk,
                             answers={item.pk: {"choice": choice}})
    refused("vote_state", svc.vote_publish, actor=town.organiser, vote_id=vote.pk)  # still open
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    vote = svc.vote_publish(actor=town.organiser, vote_id=vote.pk)
    assert vote.status == "published" and vote.result_sha256 == result_digest(vote.result)
    [result] = vote.result["items"]
    assert result["passes"] is True and result["participation"]["heads"]["part"] == 5
    notice = Notice.objects.get(pk=vote.result_notice_id)
    assert "passed" in notice.body and vote.result_sha256 in notice.body
    again = svc.vote_publish(actor=town.organiser, vote_id=vote.pk)
    assert again.result_sha256 == vote.result_sha256 and Notice.objects.count() == 2


def test_cancelling_an_open_vote_posts_a_notice(town, make_vote):
    vote, _item = make_vote()
    vote = svc.vote_cancel(actor=town.organiser, vote_id=vote.pk, reason="the date clashes with the holiday")
    assert vote.status == "cancelled"
    assert Notice.objects.filter(title__contains="cancelled").exists()


def test_another_estates_vote_is_not_found(town, make_vote, other_estate, member):
    from gongzhi.core.access import resolve_actor

    vote, _item = make_vote()
    stranger = resolve_actor(member("committee_chair", other_estate), other_estate.pk)
    refused("not_found", svc.vote_close, actor=stranger, vote_id=vote.pk)
    refused("not_found", b.receipt_check, actor=stranger, vote_id=vote.pk, code="AAAA")
