"""Casting ballots (online, written, on site), proxies and receipts (DOMAIN.md "Owners' votes").

Who casts online for a house: its representative on the frozen roll (co-owners name one representative, DOMAIN.md;
the other co-owners, family members and tenants do not), or the agent of an active proxy whose written authorisation
is recorded for this vote and covers the item. Staff (VotePolicy "enter_ballot") enter signed written ballots with
their scan, and ballots cast on site.

Ballots are append-only. A change is a new ballot that names the one it replaces and why, so every replaced ballot
stays on record. Which ballot counts is the engine's rule (``count.counted``): with ``written_overrides_online`` a
written or on-site ballot beats any online one; otherwise, and within a rank, the latest counts. Hence:

- an online ballot while a written one of the house counts: refused (409 ``written_ballot_counts``: it would not
  count, and silently storing it would mislead the owner);
- a second online ballot: 409 ``already_voted`` unless ``change=True`` (a change of mind before the close);
- a second written / on-site ballot: 409 ``already_entered`` unless a correction reason is given.

Receipts: ballots cast together share one receipt code (16 characters from a 32-letter alphabet, 80 bits, in groups
of four). Only its SHA-256 is stored. A request with an ``idempotency_key`` gets a code derived from the key by an
HMAC under the server's secret, so that a retry returns the same receipt and writes nothing; without a key the code
is random. Either way nobody without the code (or the server's secret) can find or claim the ballot.

Concurrency: a cast locks the house's roll entry (``SELECT ... FOR UPDATE``), so two casts for the same house run
one after the other and see each other's ballots; casts for different houses run in parallel.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, Forbidden, NotFound

from . import errors
from .choices import BallotForm, Channel, Choice, VoteStatus
from .count import counted as engine_counted
from .count import receipt_digest
from .models import Ballot, Proxy, RollEntry, Vote, VoteItem
from .policies import VotePolicy

KEY_MAX = 64
REASON_MAX = 200
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 letters, none that reads as another (no I, O, 0, 1)
STRONG = frozenset({Channel.WRITTEN, Channel.ONSITE})
CHANGED_ONLINE = "changed online"


@dataclass
class CastReceipt:
    code: str
    ballots: list[Ballot] = field(default_factory=list)


# --- receipt codes -----------------------------------------------------------------------------------------------
def _group(raw: str) -> str:
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def new_code() -> str:
    return _group("".join(secrets.choice(ALPHABET) for _ in range(16)))


def keyed_code(vote_id: int, house_id: int, channel: str, key: str) -> str:
    """The receipt code of an idempotent request: an HMAC of (vote, house, channel, key) under a key derived from
    the server's secret, mapped onto the alphabet (5 bits per letter)."""
    secret = hashlib.sha256(b"gongzhi.governance.receipt:" + settings.SECRET_KEY.encode()).digest()
    mac = hmac.new(secret, f"{vote_id}:{house_id}:{channel}:{key}".encode(), hashlib.sha256).digest()
    letters = base64.b32encode(mac).decode()[:16]
    return _group("".join(ALPHABET["ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(c)] for c in letters))


def normalise_code(code) -> str:
    """The code as printed, whatever the case, spaces or dashes typed."""
    raw = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    return _group(raw)


# --- helpers -----------------------------------------------------------------------------------------------------
def _id(value) -> int:
    if isinstance(value, bool):
        raise NotFound()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _vote(actor: Actor, vote_id) -> Vote:
    vote = Vote.objects.filter(estate=actor.estate, pk=_id(vote_id)).first()
    if vote is None:
        raise NotFound()
    return vote


def _key(value) -> str:
    key = (value or "").strip() if isinstance(value, str) or value is None else None
    if key is None or len(key) > KEY_MAX:
        raise errors.invalid("idempotency_key", errors.Reason(_("at most %(max)s characters"), max=KEY_MAX))
    return key


def _roll_entry(vote: Vote, house_id) -> RollEntry:
    """The house's roll entry, row-locked (one cast per house at a time); 404 when it is not on the roll (another
    estate's house answers alike)."""
    entry = (RollEntry.objects.select_for_update(of=("self",)).select_related("representative")
             .filter(vote=vote, house_id=_id(house_id)).first())
    if entry is None:
        raise errors.not_on_roll()
    return entry


def _check_open(vote: Vote, now) -> None:
    if vote.status != VoteStatus.OPEN or not (vote.opens_at <= now < vote.closes_at):
        raise errors.vote_not_open(vote, now)


def _written_overrides(vote: Vote) -> bool:
    return bool((vote.rules or {}).get("written_overrides_online", True))


def _parse_answers(vote: Vote, answers) -> list[tuple[VoteItem, str, list[int]]]:
    """[(item, choice, options)] checked against each item's form; 400 naming the field otherwise."""
    if not isinstance(answers, dict) or not answers:
        raise errors.invalid("answers", _("answer at least one item"))
    items = {i.pk: i for i in VoteItem.objects.filter(vote=vote).prefetch_related("options")}
    parsed = []
    for raw_id, answer in answers.items():
        field_name = f"answers.{raw_id}"
        try:
            item = items.get(int(raw_id))
        except (TypeError, ValueError):
            item = None
        if item is None:
            raise errors.invalid(field_name, _("no such item on this vote"))
        if not isinstance(answer, dict):
            raise errors.invalid(field_name, _("must be an object with a choice or options"))
        choice, picks = answer.get("choice") or "", answer.get("options")
        if item.form == BallotForm.YES_NO:
            if choice not in Choice.values or picks:
                raise errors.invalid(f"{field_name}.choice", _("must be for, against or abstain"))
            parsed.append((item, choice, []))
            continue
        if choice or not isinstance(picks, list):
            raise errors.invalid(f"{field_name}.options", _("must be a list of option ids"))
        if all((isinstance(p, int) and not isinstance(p, bool)) or (isinstance(p, str) and p.isdigit())
               for p in picks):
            picks = [int(p) for p in picks]
        else:
            picks = None
        valid_ids = {o.pk for o in item.options.all()}
        if picks is None or any(p not in valid_ids for p in picks):
            raise errors.invalid(f"{field_name}.options", _("an option that is not one of this item's"))
        if len(set(picks)) != len(picks):
            raise errors.invalid(f"{field_name}.options", _("an option is chosen twice"))
        limit = 1 if item.form == BallotForm.CHOOSE_ONE else (item.seats or 0)
        if len(picks) > limit:
            if item.form == BallotForm.ELECTION:
                raise DomainError(_("%(field)s: %(n)s candidates chosen for %(seats)s seats; choose at most "
                                    "%(seats)s."), code="too_many_candidates",
                                  detail={"field": f"{field_name}.options", "chosen": len(picks), "seats": limit},
                                  field=f"{field_name}.options", n=len(picks), seats=limit)
            raise errors.invalid(f"{field_name}.options", _("choose one option"))
        parsed.append((item, "", sorted(picks)))
    return sorted(parsed, key=lambda row: row[0].position)


def _latest(vote: Vote, house_id: int, item_ids) -> dict[int, dict[str, Ballot]]:
    """Per item: the latest online ballot, the latest written/on-site one and the latest of any channel."""
    latest: dict[int, dict[str, Ballot]] = {}
    for ballot in Ballot.objects.filter(vote=vote, house_id=house_id, item_id__in=item_ids).order_by("id"):
        slot = latest.setdefault(ballot.item_id, {})
        slot["strong" if ballot.channel in STRONG else "online"] = ballot
        slot["any"] = ballot
    return latest


def _same_request(existing: list[Ballot], parsed) -> bool:
    wanted = {(item.pk, choice, tuple(picks)) for item, choice, picks in parsed}
    have = {(b.item_id, b.choice, tuple(sorted(b.options or []))) for b in existing}
    return wanted == have


def _replay(vote: Vote, house_id: int, key: str, channel: str, parsed) -> CastReceipt | None:
    """The receipt of an earlier request with the same key (nothing written), or None."""
    if not key:
        return None
    existing = list(Ballot.objects.filter(vote=vote, house_id=house_id, idempotency_key=key).order_by("id"))
    if not existing:
        return None
    if not _same_request(existing, parsed) or any(b.channel != channel for b in existing):
        raise errors.key_reused(key)
    return CastReceipt(code=keyed_code(vote.pk, house_id, channel, key), ballots=existing)


def _write(actor: Actor, vote: Vote, house_id: int, channel: str, parsed, *, key: str, voter_id, proxy,
           scan, replaces: dict, reasons: dict) -> CastReceipt:
    code = keyed_code(vote.pk, house_id, channel, key) if key else new_code()
    digest, now = receipt_digest(code), timezone.now()
    rows = [Ballot(estate=vote.estate, vote=vote, item=item, house_id=house_id, channel=channel, choice=choice,
                   options=picks, voter_id=voter_id, proxy=proxy, cast_by=actor.user, scan=scan,
                   replaces=replaces.get(item.pk), replace_reason=reasons.get(item.pk, "")[:REASON_MAX],
                   receipt_sha256=digest, idempotency_key=key, cast_at=now)
           for item, choice, picks in parsed]
    try:
        with transaction.atomic():
            ballots = Ballot.objects.bulk_create(rows)
    except IntegrityError:  # the same key raced in from another request: answer with its receipt
        replay = _replay(vote, house_id, key, channel, parsed)
        if replay is None:
            raise
        return replay
    after = {"vote": vote.pk, "house": house_id, "channel": channel, "items": [i.pk for i, _c, _p in parsed],
             "replaces": {str(k): v.pk for k, v in replaces.items()}, "proxy": proxy.pk if proxy else None}
    if not vote.secret:  # a secret vote's choices are not copied into the audit log
        after["answers"] = {str(i.pk): c or p for i, c, p in parsed}
    audit(user=actor.user, estate=vote.estate, action=f"ballot.{channel}", obj=ballots[0], after=after,
          label=f"{vote.pk}:{house_id}")
    return CastReceipt(code=code, ballots=ballots)


# --- online ------------------------------------------------------------------------------------------------------
def _online_voter(actor: Actor, vote: Vote, entry: RollEntry, item_ids) -> tuple[int, Proxy | None]:
    """(the voter's person id, the proxy used): the representative, else an active proxy's agent covering every
    answered item; 403 ``not_a_voter`` otherwise."""
    user_id = actor.user_id
    if entry.representative is not None and user_id and entry.representative.user_id == user_id:
        return entry.representative_id, None
    proxy = (Proxy.objects.select_related("agent")
             .filter(vote=vote, house_id=entry.house_id, revoked_at__isnull=True, agent__user_id=user_id).first())
    if proxy is None or not user_id:
        raise errors.not_a_voter()
    if proxy.items and not set(item_ids) <= set(proxy.items):
        raise Forbidden(_("Your proxy for this house covers only some items of this vote: answer only those."),
                        code="proxy_scope", detail={"items": proxy.items})
    return proxy.agent_id, proxy


@transaction.atomic
def ballot_cast_online(*, actor, vote_id, house_id, answers: dict[int, dict], change=False,
                       idempotency_key="") -> CastReceipt:
    """Cast (or, with ``change``, change) the house's online ballot on one or more items; returns the receipt."""
    if not VotePolicy.can(actor, "cast"):
        raise Forbidden()
    key = _key(idempotency_key)
    vote = _vote(actor, vote_id)
    entry = _roll_entry(vote, house_id)
    parsed = _parse_answers(vote, answers)
    item_ids = [item.pk for item, _c, _p in parsed]
    voter_id, proxy = _online_voter(actor, vote, entry, item_ids)
    replay = _replay(vote, entry.house_id, key, Channel.ONLINE, parsed)
    if replay is not None:
        return replay
    _check_open(vote, timezone.now())
    latest = _latest(vote, entry.house_id, item_ids)
    strong = [i for i in item_ids if "strong" in latest.get(i, {})]
    if strong and _written_overrides(vote):
        raise errors.written_ballot_counts(strong)
    voted = [i for i in item_ids if "online" in latest.get(i, {})]
    if voted and not change:
        raise errors.already_voted(voted)
    replaces = {i: latest[i]["any"] for i in item_ids if i in latest}
    reasons = dict.fromkeys(replaces, CHANGED_ONLINE)
    return _write(actor, vote, entry.house_id, Channel.ONLINE, parsed, key=key, voter_id=voter_id, proxy=proxy,
                  scan=None, replaces=replaces, reasons=reasons)


# --- written and on site -----------------------------------------------------------------------------------------
@transaction.atomic
def ballot_enter(*, actor, vote_id, house_id, channel, answers, scan=None, voter_person_id=None, proxy_id=None,
                 replaces_reason="", idempotency_key="") -> CastReceipt:
    """Staff enter a signed written ballot (with its scan) or a ballot cast on site, while the vote is open."""
    from gongzhi.estate.models import Person

    from .documents import document_store

    if not VotePolicy.can(actor, "enter_ballot"):
        raise Forbidden()
    if channel not in STRONG:
        raise errors.invalid("channel", _("must be written or onsite"))
    key = _key(idempotency_key)
    reason = (replaces_reason or "").strip()
    if len(reason) > REASON_MAX:
        raise errors.invalid("replaces_reason", errors.Reason(_("at most %(max)s characters"), max=REASON_MAX))
    vote = _vote(actor, vote_id)
    entry = _roll_entry(vote, house_id)
    parsed = _parse_answers(vote, answers)
    replay = _replay(vote, entry.house_id, key, channel, parsed)
    if replay is not None:
        return replay
    _check_open(vote, timezone.now())
    if channel == Channel.WRITTEN and scan is None:
        raise DomainError(_("A written ballot needs the scan of the signed ballot paper."), code="scan_required",
                          detail={"field": "scan"})
    proxy = None
    if proxy_id not in (None, ""):
        proxy = Proxy.objects.filter(vote=vote, house_id=entry.house_id, revoked_at__isnull=True,
                                     pk=_id(proxy_id)).first()
        if proxy is None:
            raise errors.invalid("proxy_id", _("no active proxy of this house on this vote"))
        voter_id = proxy.agent_id
    elif voter_person_id not in (None, ""):
        owners = {int(o[0]) for o in entry.owners or []}
        voter = Person.objects.filter(estate=actor.estate, pk=_id(voter_person_id)).first()
        if voter is None or voter.pk not in owners:
            raise errors.invalid("voter_person_id", _("must be an owner of the house on the roll, or use a proxy"))
        voter_id = voter.pk
    else:
        voter_id = entry.representative_id
    item_ids = [item.pk for item, _c, _p in parsed]
    latest = _latest(vote, entry.house_id, item_ids)
    entered = [i for i in item_ids if "strong" in latest.get(i, {})]
    if entered and not reason:
        raise errors.already_entered(entered)
    replaces, reasons = {}, {}
    for item_id in item_ids:
        slot = latest.get(item_id, {})
        if "strong" in slot:
            replaces[item_id], reasons[item_id] = slot["strong"], f"correction: {reason}"
        elif "any" in slot:
            replaces[item_id] = slot["any"]
            reasons[item_id] = (f"{channel} ballot takes precedence over online" if _written_overrides(vote)
                                else f"later {channel} ballot")
    document = document_store(actor=actor, upload=scan) if scan is not None else None
    return _write(actor, vote, entry.house_id, channel, parsed, key=key, voter_id=voter_id, proxy=proxy,
                  scan=document, replaces=replaces, reasons=reasons)


# --- proxies -----------------------------------------------------------------------------------------------------
@transaction.atomic
def proxy_record(*, actor, vote_id, house_id, principal_person_id, agent_person_id, items: list[int],
                 document) -> Proxy:
    """Record a written authorisation: an owner of the house on the roll lets the agent vote for it on the listed
    items (all when empty), for this vote only."""
    from gongzhi.estate.models import Person

    from .documents import document_store

    if not VotePolicy.can(actor, "record_proxy"):
        raise Forbidden()
    vote = _vote(actor, vote_id)
    if vote.status != VoteStatus.OPEN:
        raise errors.vote_state(vote, _("given a proxy"))
    entry = _roll_entry(vote, house_id)
    owners = {int(o[0]) for o in entry.owners or []}
    if principal_person_id in (None, "") or _id(principal_person_id) not in owners:
        raise errors.invalid("principal_person_id", _("must be an owner of the house on the roll"))
    agent = None
    if agent_person_id not in (None, ""):
        agent = Person.objects.filter(estate=actor.estate, pk=_id(agent_person_id)).first()
    if agent is None:
        raise errors.invalid("agent_person_id", _("no such person in this estate"))
    if agent.pk == _id(principal_person_id):
        raise errors.invalid("agent_person_id", _("the agent is someone other than the principal"))
    try:
        wanted = sorted({int(i) for i in items or []})
    except (TypeError, ValueError):
        raise errors.invalid("items", _("must be item ids of this vote")) from None
    if wanted and VoteItem.objects.filter(vote=vote, pk__in=wanted).count() != len(wanted):
        raise errors.invalid("items", _("must be item ids of this vote"))
    if document is None:
        raise errors.proxy_needs_document()
    if Proxy.objects.filter(vote=vote, house_id=entry.house_id, revoked_at__isnull=True).exists():
        raise errors.proxy_exists()
    scan = document_store(actor=actor, upload=document)
    try:
        with transaction.atomic():
            proxy = Proxy.objects.create(estate=actor.estate, vote=vote, house_id=entry.house_id,
                                         principal_id=_id(principal_person_id), agent=agent, items=wanted,
                                         document=scan, recorded_by=actor.user)
    except IntegrityError:
        raise errors.proxy_exists() from None
    audit(user=actor.user, estate=actor.estate, action="proxy.record", obj=proxy,
          after={"vote": vote.pk, "house": entry.house_id, "principal": proxy.principal_id, "agent": agent.pk,
                 "items": wanted, "document": scan.pk})
    return proxy


@transaction.atomic
def proxy_revoke(*, actor, vote_id, proxy_id, reason) -> Proxy:
    """Revoke a proxy (the agent can no longer cast); ballots it already cast stay (a cast ballot is never
    undone; the owner may change it online or hand in a written ballot). Revoking twice returns it unchanged."""
    if not VotePolicy.can(actor, "record_proxy"):
        raise Forbidden()
    vote = _vote(actor, vote_id)
    proxy = Proxy.objects.select_for_update().filter(vote=vote, pk=_id(proxy_id)).first()
    if proxy is None:
        raise NotFound()
    if proxy.revoked_at is not None:
        return proxy
    reason = (reason or "").strip()
    if not reason:
        raise errors.invalid("reason", _("is required"))
    if len(reason) > REASON_MAX:
        raise errors.invalid("reason", errors.Reason(_("at most %(max)s characters"), max=REASON_MAX))
    proxy.revoked_at = timezone.now()
    proxy.save(update_fields=["revoked_at"])
    audit(user=actor.user, estate=actor.estate, action="proxy.revoke", obj=proxy,
          before={"revoked_at": None}, after={"revoked_at": proxy.revoked_at.isoformat(), "reason": reason})
    return proxy


# --- receipts and the portal -------------------------------------------------------------------------------------
def _engine_row(b: dict) -> dict:
    return {"house": b["house_id"], "item": b["item_id"], "channel": b["channel"], "seq": b["id"]}


def counted_ids(vote: Vote, pairs) -> set[int]:
    """Ids of the ballots that count now for these (item, house) pairs, by the engine's precedence."""
    pairs = set(pairs)
    if not pairs:
        return set()
    houses = {h for _i, h in pairs}
    rows = Ballot.objects.filter(vote=vote, house_id__in=houses).values("id", "item_id", "house_id", "channel")
    rows = [_engine_row(r) for r in rows if (r["item_id"], r["house_id"]) in pairs]
    rules = {"written_overrides_online": _written_overrides(vote)}
    return {b["seq"] for b in engine_counted(rows, rules).values()}


def _answer(ballot: Ballot, labels: dict[int, str]):
    if ballot.choice:
        return {"choice": ballot.choice, "label": str(Choice(ballot.choice).label)}
    return {"options": ballot.options, "labels": [labels.get(o, "") for o in ballot.options]}


def receipt_check(*, actor, vote_id, code: str) -> dict:
    """What a receipt code stands for: the items, the choices as cast, the time, and whether each ballot is the one
    counted now (or, if replaced, by which channel and when). 404 ``receipt_unknown`` for any code not of this
    vote (a forged one, or another vote's)."""
    if not VotePolicy.can(actor, "check_receipt"):
        raise Forbidden()
    vote = _vote(actor, vote_id)
    ballots = list(Ballot.objects.filter(vote=vote, receipt_sha256=receipt_digest(normalise_code(code)))
                   .select_related("item").order_by("item__position"))
    if not ballots:
        raise errors.receipt_unknown()
    pairs = {(b.item_id, b.house_id) for b in ballots}
    now_counted = counted_ids(vote, pairs)
    winners = {}
    others = now_counted - {b.pk for b in ballots}
    if others:
        for b in Ballot.objects.filter(pk__in=others).only("id", "item_id", "house_id", "channel", "cast_at"):
            winners[(b.item_id, b.house_id)] = b
    labels = dict(vote.items.values_list("options__id", "options__label").exclude(options__id=None))
    result = []
    for b in ballots:
        counted = b.pk in now_counted
        winner = winners.get((b.item_id, b.house_id))
        result.append({"item_id": b.item_id, "item": b.item.title, "position": b.item.position,
                       "channel": b.channel, "cast_at": b.cast_at, **_answer(b, labels), "counted": counted,
                       "replaced_by": None if counted or winner is None else {
                           "channel": winner.channel, "cast_at": winner.cast_at}})
    return {"vote_id": vote.pk, "vote": vote.title, "status": vote.status, "house_id": ballots[0].house_id,
            "cast_at": ballots[0].cast_at, "ballots": result}


def my_voting_houses(*, actor, vote_id) -> list[dict]:
    """The houses this user may vote for on this vote (as representative, or as agent of an active proxy), with
    what has been cast for each (for the portal): [{"house_id", "house_code", "role": "representative"|"proxy",
    "proxy_id", "items" (ids it may answer; None: all), "cast": {item_id: {"channel", "choice", "options",
    "cast_at", "counted"}}}]."""
    vote = _vote(actor, vote_id)
    user_id = actor.user_id
    if not user_id:
        return []
    houses: dict[int, dict] = {}
    for house_id, code in (RollEntry.objects.filter(vote=vote, representative__user_id=user_id)
                           .values_list("house_id", "house_code")):
        houses[house_id] = {"house_id": house_id, "house_code": code, "role": "representative", "proxy_id": None,
                            "items": None, "cast": {}}
    proxies = (Proxy.objects.filter(vote=vote, revoked_at__isnull=True, agent__user_id=user_id)
               .exclude(house_id__in=list(houses)).values("id", "house_id", "items"))
    codes = dict(RollEntry.objects.filter(vote=vote, house_id__in=[p["house_id"] for p in proxies])
                 .values_list("house_id", "house_code")) if proxies else {}
    for p in proxies:
        houses[p["house_id"]] = {"house_id": p["house_id"], "house_code": codes.get(p["house_id"], ""),
                                 "role": "proxy", "proxy_id": p["id"], "items": p["items"] or None, "cast": {}}
    if not houses:
        return []
    rows = list(Ballot.objects.filter(vote=vote, house_id__in=list(houses))
                .values("id", "item_id", "house_id", "channel", "choice", "options", "cast_at").order_by("id"))
    winners = engine_counted([_engine_row(r) for r in rows],
                             {"written_overrides_online": _written_overrides(vote)})
    counted = {b["seq"] for b in winners.values()}
    for r in rows:  # the latest ballot per item, and whether it is the one counted
        houses[r["house_id"]]["cast"][r["item_id"]] = {"channel": r["channel"], "choice": r["choice"],
                                                       "options": r["options"], "cast_at": r["cast_at"],
                                                       "counted": r["id"] in counted}
    return sorted(houses.values(), key=lambda h: h["house_code"])


def ballots_of_house(vote: Vote, house_id: int):
    """Every ballot of a house on the vote, replaced ones included (for the console)."""
    return Ballot.objects.filter(vote=vote, house_id=house_id).select_related("item").order_by("id")


__all__ = ["CastReceipt", "ballot_cast_online", "ballot_enter", "ballots_of_house", "counted_ids",
           "my_voting_houses", "normalise_code", "proxy_record", "proxy_revoke", "receipt_check"]
