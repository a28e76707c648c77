"""Owners' votes API: the lifecycle (organisers), the roll and progress (members), casting online (a house's
representative or a proxy's agent), written and on-site ballots and proxies (organisers, multipart with the scan),
receipts, the result, the published dataset and the recount tool (``count.py``).

Errors are the one error shape: 400 bad input (``detail.field`` names it; ``too_many_candidates``,
``scan_required``, ``proxy_needs_document``), 403 the role or the roll does not allow it (``not_a_voter``,
``ballots_withheld``), 404 missing or another estate's (``not_on_roll``, ``receipt_unknown``), 409 the state
forbids it (``vote_not_draft``, ``vote_not_open``, ``already_voted``, ``already_entered``,
``written_ballot_counts``, ``notice_too_short``, ``proxy_exists``)."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.core.api import api_actor
from gongzhi.core.errors import DomainError, Forbidden

from .. import ballots, documents, selectors, votes
from ..choices import BallotForm, Matter, VoteKind
from ..errors import invalid
from ..models import Proxy
from ..policies import VotePolicy

router = Router(tags=["votes"])
PREFIX = "/estates/{estate_id}/votes"
ONE = PREFIX + "/{vote_id}"
COUNT_PY = Path(__file__).resolve().parent.parent / "count.py"


# --- schemas -----------------------------------------------------------------------------------------------------
class VoteIn(Schema):
    title: str = Field(..., max_length=120, examples=["2026 owners' assembly"])
    description: str = ""
    kind: VoteKind = VoteKind.ASSEMBLY
    secret: bool = Field(False, description="Secret ballot: the per-house ballots are never published.")
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    fund_project_id: int | None = Field(None, description="A maintenance-fund vote: the PROPOSED project it decides.")
    non_voter_clause: str = Field("", max_length=200, description="Where the covenant enables the non-voter clause.")
    idempotency_key: str = Field("", max_length=64)


class VotePatchIn(Schema):
    title: str | None = None
    description: str | None = None
    kind: VoteKind | None = None
    secret: bool | None = None
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    fund_project_id: int | None = None
    non_voter_clause: str | None = None


class VoteOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    status: str
    secret: bool
    fund_project_id: int | None
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    opened_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    published_at: datetime.datetime | None
    rule_set: str
    rules: dict
    non_voter_clause: str
    total_area_m2: Decimal | None
    total_heads: int | None
    roll_sha256: str
    result_sha256: str
    notice_id: int | None
    result_notice_id: int | None


class VoteRowOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    secret: bool
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    item_count: int


class VotePage(Schema):
    items: list[VoteRowOut]
    next_cursor: str | None


class VoteOptionIn(Schema):
    label: str = ""
    person_id: int | None = Field(None, description="A candidate: a person of the estate's registry.")
    statement: str = ""


class VoteItemIn(Schema):
    title: str = Field(..., max_length=200)
    matter: Matter
    form: BallotForm = BallotForm.YES_NO
    description: str = ""
    seats: int | None = Field(None, description="Elections: the seats (owners' committee: 5-11, odd).")
    options: list[VoteOptionIn] = []


class VoteOptionOut(Schema):
    id: int
    position: int
    label: str
    person_id: int | None
    statement: str


class VoteItemOut(Schema):
    id: int
    position: int
    title: str
    description: str
    matter: str
    form: str
    seats: int | None
    options: list[VoteOptionOut]

    @staticmethod
    def resolve_options(obj):
        return list(obj.options.all())


class VoteDetailOut(VoteOut):
    items: list[VoteItemOut]

    @staticmethod
    def resolve_items(obj):
        return selectors.vote_items(obj)


class VoteExtendIn(Schema):
    closes_at: datetime.datetime
    reason: str = Field(..., max_length=200)


class VoteReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class VoteRollRowOut(Schema):
    id: int
    house_id: int
    house_code: str
    area_m2: Decimal
    area_source: str
    head_unit: str
    head_kind: str


class VoteRollPage(Schema):
    items: list[VoteRollRowOut]
    next_cursor: str | None


class BallotCastIn(Schema):
    house_id: int
    answers: dict[int, dict] = Field(..., description='{item_id: {"choice": "for"} or {"options": [option ids]}}',
                                     examples=[{"12": {"choice": "for"}, "13": {"options": [40, 41]}}])
    change: bool = Field(False, description="Replace this house's earlier online ballot (the old one stays).")
    idempotency_key: str = Field("", max_length=64, description="A retry with the same key returns the same receipt.")


class BallotOut(Schema):
    id: int
    item_id: int
    house_id: int
    channel: str
    choice: str
    options: list[int]
    replaces_id: int | None
    replace_reason: str
    cast_at: datetime.datetime


class BallotReceiptOut(Schema):
    code: str = Field(..., description="Keep it: it proves later that the ballot was counted as cast.")
    ballots: list[BallotOut]


class BallotReceiptCheckIn(Schema):
    code: str = Field(..., max_length=40, examples=["K7QF-3MZP-9XTA-4HCV"])


class ReplacedByOut(Schema):
    channel: str
    cast_at: datetime.datetime


class ReceiptBallotOut(Schema):
    item_id: int
    item: str
    position: int
    channel: str
    cast_at: datetime.datetime
    choice: str | None = Field(None, description="yes/no/abstain items: the choice as cast")
    label: str | None = None
    options: list[int] | None = Field(None, description="choice and election items: the option ids as cast")
    labels: list[str] | None = None
    counted: bool = Field(..., description="Whether this ballot is the one counted now")
    replaced_by: ReplacedByOut | None = Field(None, description="When not counted: the ballot that replaced it")


class ReceiptCheckOut(Schema):
    vote_id: int
    vote: str
    status: str
    house_id: int
    cast_at: datetime.datetime
    ballots: list[ReceiptBallotOut]


class FloorOut(Schema):
    fraction: str = Field(..., examples=["2/3"])
    comparison: str = Field(..., description='"at least" or "more than"')
    base: str


class ProgressFiguresOut(Schema):
    houses: int
    area: str = Field(..., description="m², two decimals, exact")
    heads: int
    area_met: bool
    heads_met: bool


class ProgressItemOut(ProgressFiguresOut):
    id: int
    position: int


class ProgressOut(ProgressFiguresOut):
    total_houses: int
    total_area: str
    total_heads: int
    floor_area: FloorOut | None
    floor_heads: FloorOut | None
    met: bool = Field(..., description="Both participation floors are met")
    items: list[ProgressItemOut]


class ResultOut(Schema):
    result: dict = Field(..., description="The tally as count.py writes it: every item's numerators, denominators "
                                          "and outcome (docs/governance/recount.md)")
    result_sha256: str
    rule_set: str
    roll_sha256: str
    published_at: datetime.datetime | None


class MyCastOut(Schema):
    channel: str
    choice: str
    options: list[int]
    cast_at: datetime.datetime
    counted: bool


class MyVotingHouseOut(Schema):
    house_id: int
    house_code: str
    role: str = Field(..., description='"representative" or "proxy"')
    proxy_id: int | None
    items: list[int] | None = Field(None, description="Items the proxy may answer (null: all)")
    cast: dict[int, MyCastOut] = Field(..., description="Per item id: the latest ballot and whether it counts")


class BallotPublishedOut(Schema):
    id: int
    item_id: int
    house_id: int
    house_code: str
    channel: str
    choice: str
    options: list[int]
    cast_at: datetime.datetime
    replaces_id: int | None
    replace_reason: str
    receipt: str


class BallotPublishedPage(Schema):
    items: list[BallotPublishedOut]
    next_cursor: str | None


class ProxyOut(Schema):
    id: int
    house_id: int
    house: str
    principal_id: int
    principal: str
    agent_id: int
    agent: str
    items: list[int]
    document_id: int
    recorded_at: datetime.datetime
    revoked_at: datetime.datetime | None

    @staticmethod
    def resolve_house(obj):
        return obj.house.code

    @staticmethod
    def resolve_principal(obj):
        return obj.principal.name

    @staticmethod
    def resolve_agent(obj):
        return obj.agent.name


# --- helpers -----------------------------------------------------------------------------------------------------
def _vote(request, estate_id, vote_id):
    actor = api_actor(request, estate_id)
    return actor, selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)


def _answers_form(raw: str) -> dict:
    try:
        answers = json.loads(raw)
    except (TypeError, ValueError):
        raise invalid("answers", _("must be JSON: {item_id: {...}}")) from None
    if not isinstance(answers, dict):
        raise invalid("answers", _("must be JSON: {item_id: {...}}"))
    return answers


def _ids_form(raw: str) -> list[int]:
    if not raw.strip():
        return []
    try:
        return [int(x) for x in raw.replace(" ", "").split(",") if x]
    except ValueError:
        raise invalid("items", _("comma-separated item ids")) from None


# --- the lifecycle -----------------------------------------------------------------------------------------------
@router.get(PREFIX, response=VotePage, summary="The estate's owners' votes, newest first")
def vote_list(request, estate_id: int, status: str | None = None, cursor: str | None = None, limit: int = 50):
    """Drafts only for the organisers."""
    from gongzhi.core.pagination import paginate

    actor = api_actor(request, estate_id)
    page = paginate(selectors.vote_list(estate=actor.estate, actor=actor, status=status), cursor=cursor, limit=limit,
                    descending=True)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(PREFIX, response={201: VoteOut}, summary="Draft a vote (organisers)")
def vote_create(request, estate_id: int, payload: VoteIn):
    actor = api_actor(request, estate_id)
    return Status(201, votes.vote_create(actor=actor, **payload.dict()))


@router.get(ONE, response=VoteDetailOut, summary="One vote with its items and options")
def vote_get(request, estate_id: int, vote_id: int):
    _actor, vote = _vote(request, estate_id, vote_id)
    return vote


@router.patch(ONE, response=VoteOut, summary="Change a draft (409 vote_not_draft once open)")
def vote_update(request, estate_id: int, vote_id: int, payload: VotePatchIn):
    actor = api_actor(request, estate_id)
    return votes.vote_update(actor=actor, vote_id=vote_id, **payload.dict(exclude_unset=True))


@router.post(ONE + "/items", response={201: VoteItemOut}, summary="Add an item to a draft")
def vote_item_add(request, estate_id: int, vote_id: int, payload: VoteItemIn):
    actor = api_actor(request, estate_id)
    data = payload.dict()
    item = votes.vote_item_add(actor=actor, vote_id=vote_id, **data)
    return Status(201, item)


@router.delete(ONE + "/items/{item_id}", response={204: None}, summary="Remove an item of a draft")
def vote_item_remove(request, estate_id: int, vote_id: int, item_id: int):
    votes.vote_item_remove(actor=api_actor(request, estate_id), vote_id=vote_id, item_id=item_id)
    return Status(204, None)


@router.post(ONE + "/open", response=VoteOut, summary="Open: freeze the roll and the rules, publish the notice")
def vote_open(request, estate_id: int, vote_id: int, notice: bool = True):
    """Assembly votes must close at least ``assembly.notice_days`` (15) days after opening: 409
    ``notice_too_short`` otherwise."""
    return votes.vote_open(actor=api_actor(request, estate_id), vote_id=vote_id, notice=notice)


@router.post(ONE + "/extend", response=VoteOut, summary="Extend the deadline of an open vote")
def vote_extend(request, estate_id: int, vote_id: int, payload: VoteExtendIn):
    return votes.vote_extend(actor=api_actor(request, estate_id), vote_id=vote_id, closes_at=payload.closes_at,
                             reason=payload.reason)


@router.post(ONE + "/close", response=VoteOut, summary="Close an open vote (idempotent)")
def vote_close(request, estate_id: int, vote_id: int):
    return votes.vote_close(actor=api_actor(request, estate_id), vote_id=vote_id)


@router.post(ONE + "/publish", response=VoteOut, summary="Tally and publish the result (idempotent)")
def vote_publish(request, estate_id: int, vote_id: int):
    return votes.vote_publish(actor=api_actor(request, estate_id), vote_id=vote_id)


@router.post(ONE + "/cancel", response=VoteOut, summary="Cancel a draft or open vote")
def vote_cancel(request, estate_id: int, vote_id: int, payload: VoteReasonIn):
    return votes.vote_cancel(actor=api_actor(request, estate_id), vote_id=vote_id, reason=payload.reason)


# --- roll, progress, result --------------------------------------------------------------------------------------
@router.get(ONE + "/roll", response=VoteRollPage, summary="The frozen voter roll (houses, areas, headcount units)")
def vote_roll(request, estate_id: int, vote_id: int, search: str = "", cursor: str | None = None, limit: int = 100):
    _actor, vote = _vote(request, estate_id, vote_id)
    page = selectors.roll_page(vote=vote, cursor=cursor, limit=limit, search=search)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(ONE + "/progress", response=ProgressOut, summary="Live progress against both 2/3 floors")
def vote_progress(request, estate_id: int, vote_id: int):
    from ..tally import vote_progress as progress

    _actor, vote = _vote(request, estate_id, vote_id)
    if vote.status == "draft":
        raise DomainError(_("The vote has not opened: it has no roll yet."), code="vote_not_open", status=409)
    return progress(vote)


@router.get(ONE + "/result", response=ResultOut, summary="The published result with every numerator and denominator")
def vote_result(request, estate_id: int, vote_id: int):
    _actor, vote = _vote(request, estate_id, vote_id)
    if vote.result is None:
        raise DomainError(_("The result is not published yet."), code="result_not_published", status=409)
    return {"result": vote.result, "result_sha256": vote.result_sha256, "rule_set": vote.rule_set,
            "roll_sha256": vote.roll_sha256, "published_at": vote.published_at}


@router.get(ONE + "/dataset.json", response={200: None}, summary="The published dataset (roll, ballots, result)")
def vote_dataset(request, estate_id: int, vote_id: int):
    """Everything the recount tool needs; available once the result is published (before that, per-house ballots
    would reveal the running count). Secret votes carry tokens instead of houses."""
    from ..published import published_dataset

    _actor, vote = _vote(request, estate_id, vote_id)
    if vote.result is None:
        raise DomainError(_("The dataset is published with the result."), code="result_not_published", status=409)
    body = json.dumps(published_dataset(vote), ensure_ascii=False, sort_keys=True, indent=1, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}.json"'
    return response


@router.get(ONE + "/recount-tool", response={200: None}, summary="The recount tool (count.py, Python 3 stdlib)")
def vote_recount_tool(request, estate_id: int, vote_id: int):
    """Run ``python count.py vote-<id>.json``: it prints the recomputed result and whether it matches (exit 0/1)."""
    _vote(request, estate_id, vote_id)
    response = HttpResponse(COUNT_PY.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="count.py"'
    return response


@router.get(ONE + "/ballots/published", response=BallotPublishedPage,
            summary="Per-house ballots of a published open-ballot vote (403 ballots_withheld otherwise)")
def vote_ballots_published(request, estate_id: int, vote_id: int, cursor: str | None = None, limit: int = 200):
    _actor, vote = _vote(request, estate_id, vote_id)
    page = selectors.ballot_list_published(vote, cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


# --- casting -----------------------------------------------------------------------------------------------------
@router.get(ONE + "/my-houses", response=list[MyVotingHouseOut], summary="The houses I may vote for, with what was cast")
def vote_my_houses(request, estate_id: int, vote_id: int):
    actor = api_actor(request, estate_id)
    return ballots.my_voting_houses(actor=actor, vote_id=vote_id)


@router.post(ONE + "/ballots", response={201: BallotReceiptOut}, summary="Cast a house's ballot online")
def ballot_cast(request, estate_id: int, vote_id: int, payload: BallotCastIn):
    """The house's representative on the frozen roll, or the agent of its recorded proxy."""
    actor = api_actor(request, estate_id)
    receipt = ballots.ballot_cast_online(actor=actor, vote_id=vote_id, house_id=payload.house_id,
                                         answers=payload.answers, change=payload.change,
                                         idempotency_key=payload.idempotency_key)
    return Status(201, receipt)


@router.post(ONE + "/ballots/entered", response={201: BallotReceiptOut},
             summary="Enter a written (with its scan) or on-site ballot (organisers; multipart)")
def ballot_enter(request, estate_id: int, vote_id: int, house_id: Form[int], channel: Form[str],
                 answers: Form[str], scan: File[UploadedFile] = None, voter_person_id: Form[int] = None,
                 proxy_id: Form[int] = None, replaces_reason: Form[str] = "", idempotency_key: Form[str] = ""):
    """``answers`` is JSON as for online ballots. A second written/on-site ballot of the house on an item needs
    ``replaces_reason`` (a correction)."""
    actor = api_actor(request, estate_id)
    selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)  # another estate's vote: 404 before the form's 400
    receipt = ballots.ballot_enter(actor=actor, vote_id=vote_id, house_id=house_id, channel=channel,
                                   answers=_answers_form(answers), scan=scan, voter_person_id=voter_person_id,
                                   proxy_id=proxy_id, replaces_reason=replaces_reason,
                                   idempotency_key=idempotency_key)
    return Status(201, receipt)


@router.post(ONE + "/receipt-check", response=ReceiptCheckOut, summary="Check a receipt code: counted as cast?")
def ballot_receipt_check(request, estate_id: int, vote_id: int, payload: BallotReceiptCheckIn):
    actor = api_actor(request, estate_id)
    return ballots.receipt_check(actor=actor, vote_id=vote_id, code=payload.code)


# --- proxies and scans -------------------------------------------------------------------------------------------
@router.get(ONE + "/proxies", response=list[ProxyOut], summary="The vote's proxies (organisers)")
def proxy_list(request, estate_id: int, vote_id: int):
    actor, vote = _vote(request, estate_id, vote_id)
    return list(selectors.proxies_of(vote, actor=actor).select_related("house__building", "house__unit"))


@router.post(ONE + "/proxies", response={201: ProxyOut}, summary="Record a proxy with its written authorisation")
def proxy_record(request, estate_id: int, vote_id: int, house_id: Form[int], principal_person_id: Form[int],
                 agent_person_id: Form[int], document: File[UploadedFile] = None, items: Form[str] = ""):
    """``items``: comma-separated item ids (empty: all items). Without ``document``: 400 proxy_needs_document."""
    actor = api_actor(request, estate_id)
    proxy = ballots.proxy_record(actor=actor, vote_id=vote_id, house_id=house_id,
                                 principal_person_id=principal_person_id, agent_person_id=agent_person_id,
                                 items=_ids_form(items), document=document)
    return Status(201, Proxy.objects.select_related("house__building", "house__unit", "principal", "agent")
                  .get(pk=proxy.pk))


@router.post(ONE + "/proxies/{proxy_id}/revoke", response=ProxyOut, summary="Revoke a proxy")
def proxy_revoke(request, estate_id: int, vote_id: int, proxy_id: int, payload: VoteReasonIn):
    actor = api_actor(request, estate_id)
    proxy = ballots.proxy_revoke(actor=actor, vote_id=vote_id, proxy_id=proxy_id, reason=payload.reason)
    return Proxy.objects.select_related("house__building", "house__unit", "principal", "agent").get(pk=proxy.pk)


@router.get(ONE + "/documents/{document_id}", response={200: None}, summary="A scan (organisers only)")
def vote_document(request, estate_id: int, vote_id: int, document_id: int):
    actor, _vote_obj = _vote(request, estate_id, vote_id)
    if not VotePolicy.can(actor, "view_scans"):
        raise Forbidden()
    return documents.document_response(actor=actor, document_id=document_id)
