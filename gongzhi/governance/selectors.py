"""Reads of owners' votes, always scoped to the actor's estate (DESIGN.md habits 2, 3): 404 alike for a missing
vote and another estate's."""

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.pagination import Page, paginate

from . import errors
from .choices import VoteStatus
from .models import Ballot, Proxy, RollEntry, Vote, VoteItem, VoteOption
from .policies import VotePolicy


def vote_list(*, estate, actor, status=None) -> QuerySet:
    """The estate's votes, newest first (drafts only to the organisers), with their item counts."""
    if actor.estate.pk != estate.pk:
        raise NotFound()
    qs = Vote.objects.restrict(actor, "view")
    if not VotePolicy.can(actor, "organise"):
        qs = qs.exclude(status=VoteStatus.DRAFT)
    if status:
        if status not in VoteStatus.values:
            raise errors.invalid("status", errors.Reason(_("must be one of %(choices)s"),
                                                         choices=", ".join(VoteStatus.values)))
        qs = qs.filter(status=status)
    return qs.annotate(item_count=Count("items", distinct=True)).order_by("-id")


def vote_get_for_actor(*, actor, vote_id) -> Vote:
    """One vote of the actor's estate; a draft only for the organisers; 404 alike otherwise."""
    try:
        pk = int(vote_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    vote = Vote.objects.restrict(actor, "view").filter(pk=pk).select_related("fund_project").first()
    if vote is None or (vote.status == VoteStatus.DRAFT and not VotePolicy.can(actor, "organise")):
        raise NotFound()
    return vote


def vote_items(vote) -> list[VoteItem]:
    """The items in order, each with its options (and candidates) prefetched: two queries."""
    options = Prefetch("options", queryset=VoteOption.objects.select_related("person").order_by("position"))
    return list(VoteItem.objects.filter(vote=vote).prefetch_related(options).order_by("position"))


def roll_page(*, vote, cursor=None, limit=100, search: str = "") -> Page:
    """The frozen roll, page by page (keyset on the entry id): house code, area and source, headcount unit."""
    qs = RollEntry.objects.filter(vote=vote)
    if search:
        qs = qs.filter(house_code__icontains=search.strip()[:64])
    qs = qs.values("id", "house_id", "house_code", "area_m2", "area_source", "head_unit", "head_kind")
    return paginate(qs, cursor=cursor, limit=limit)


def ballot_list_published(vote, *, cursor=None, limit=200) -> Page:
    """The per-house ballots (replaced ones too, with why) of a published open-ballot vote; 403
    ``ballots_withheld`` before publication or when the vote is secret."""
    if vote.status != VoteStatus.PUBLISHED or vote.secret:
        raise errors.ballots_withheld()
    qs = (Ballot.objects.filter(vote=vote)
          .values("id", "item_id", "house_id", "channel", "choice", "options", "cast_at", "replaces_id",
                  "replace_reason", "receipt_sha256"))
    page = paginate(qs, cursor=cursor, limit=limit)
    codes = dict(RollEntry.objects.filter(vote=vote, house_id__in={r["house_id"] for r in page.items})
                 .values_list("house_id", "house_code"))
    for row in page.items:
        row["house_code"] = codes.get(row["house_id"], "")
        row["receipt"] = row.pop("receipt_sha256")[:16]
    return page


def proxies_of(vote, *, actor=None) -> QuerySet:
    """The vote's proxies (active and revoked) with the people named; organisers only when an actor is given."""
    if actor is not None and not VotePolicy.can(actor, "record_proxy"):
        raise Forbidden()
    return Proxy.objects.filter(vote=vote).select_related("principal", "agent", "house").order_by("-id")
