"""A maintenance-fund vote: the project's charge scope votes, and publishing the result records the owners'
decision on the project in the ledger (with the result as its decision document), so the project can proceed."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import DomainError
from gongzhi.governance import ballots as b
from gongzhi.governance import votes as svc
from gongzhi.governance.choices import Matter, VoteKind
from gongzhi.governance.models import RollEntry
from gongzhi.ledger.fund_projects import fund_project_propose
from gongzhi.ledger.models import FundProject

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(town, member):
    manager = resolve_actor(member("manager", town.estate), town.estate.pk)
    return fund_project_propose(actor=manager, title="Roof waterproofing", items=[("membrane", "3000.00")],
                                scope="houses", scope_ids=[h.pk for h in town.houses[:4]])


def fund_vote(town, project):
    now = timezone.now()
    vote = svc.vote_create(actor=town.organiser, title="Use the fund for the roof", kind=VoteKind.FUND,
                           fund_project_id=project.pk, opens_at=now, closes_at=now + datetime.timedelta(days=7))
    item = svc.vote_item_add(actor=town.organiser, vote_id=vote.pk, title="Approve the roof repair",
                             matter=Matter.FUND_USE)
    return svc.vote_open(actor=town.organiser, vote_id=vote.pk), item


def test_the_charge_scope_votes_and_the_approval_is_recorded_in_the_ledger(town, project):
    vote, item = fund_vote(town, project)  # a fund vote has no 15-day floor: it is not an assembly
    assert RollEntry.objects.filter(vote=vote).count() == 4
    for i, choice in enumerate(["for", "for", "for"]):
        b.ballot_cast_online(actor=town.owners[i], vote_id=vote.pk, house_id=town.houses[i].pk,
                             answers={item.pk: {"choice": choice}})
    with pytest.raises(DomainError) as outside:
        b.ballot_cast_online(actor=town.owners[5], vote_id=vote.pk, house_id=town.houses[5].pk,
                             answers={item.pk: {"choice": "for"}})
    assert outside.value.code == "not_on_roll"
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    svc.vote_publish(actor=town.organiser, vote_id=vote.pk)
    project = FundProject.objects.get(pk=project.pk)
    assert project.status == "approved"
    approval = project.approval
    assert approval.tally["heads"] == {"for": 3, "against": 0, "abstain": 0, "participating": 3, "total": 4}
    [link] = approval.approval_documents.select_related("document")
    assert link.document.content_type == "application/pdf" and link.document.size > 500


def test_a_failed_fund_vote_records_a_rejection(town, project):
    vote, item = fund_vote(town, project)
    for i, choice in enumerate(["for", "against", "against"]):
        b.ballot_cast_online(actor=town.owners[i], vote_id=vote.pk, house_id=town.houses[i].pk,
                             answers={item.pk: {"choice": choice}})
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    svc.vote_publish(actor=town.organiser, vote_id=vote.pk)
    assert FundProject.objects.get(pk=project.pk).status == "rejected"


def test_a_fund_vote_needs_a_proposed_project_and_only_fund_items(town, project):
    now = timezone.now()
    with pytest.raises(DomainError) as missing:
        svc.vote_create(actor=town.organiser, title="No project", kind=VoteKind.FUND, opens_at=now,
                        closes_at=now + datetime.timedelta(days=7))
    assert missing.value.detail["field"] == "fund_project_id"
    vote = svc.vote_create(actor=town.organiser, title="Roof", kind=VoteKind.FUND, fund_project_id=project.pk,
                           opens_at=now, closes_at=now + datetime.timedelta(days=7))
    with pytest.raises(DomainError) as wrong:
        svc.vote_item_add(actor=town.organiser, vote_id=vote.pk, title="Rebuild", matter=Matter.REBUILD)
    assert wrong.value.detail["field"] == "matter"
