"""The life of an owners' vote: draft -> open -> closed -> published, or cancelled (DOMAIN.md "Owners' votes").

- A draft is edited freely by the organisers (VotePolicy "organise"); once open, its items, options and roll are
  fixed: the roll and the rule set are frozen at opening (``roll.roll_freeze``) so the tally is reproducible.
- Notice (业主大会议事规则; jurisdiction ``assembly.notice_days``, 15 by default): an owners' assembly is announced
  at least that many days before it decides. For a written/online vote, the decision is taken when voting closes,
  so opening (which publishes the notice) is refused unless ``closes_at`` is at least ``notice_days`` days away
  (409 ``notice_too_short``, with the figures). A maintenance-fund vote of a charge scope is not an assembly
  and has no such floor.
- Side effects (notifications) run after commit; notices are written in the same transaction as the vote (they
  are part of the record). The vote's notices are published by this service on the organisers' behalf: the
  owners' committee convenes the assembly and owes its notice, whether or not its members may write other notices.
- Publishing a maintenance-fund vote records the owners' decision on the project in the ledger
  (``fund_project_record_approval``), with the result as its decision document, so the project can proceed.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import COMMITTEE_ROLES
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Forbidden, NotFound

from . import errors
from .choices import BallotForm, Matter, VoteKind, VoteStatus
from .models import Vote, VoteExtension, VoteItem, VoteOption
from .policies import VotePolicy

S = VoteStatus
TITLE_MAX = 120
ITEM_TITLE_MAX = 200
TEXT_MAX = 10_000
REASON_MAX = 200
KEY_MAX = 64
MAX_ITEMS = 30
MAX_OPTIONS = 60
COMMITTEE_SEATS = (5, 11)  # DOMAIN.md / 业主大会和业主委员会指导规则: 5-11 members, an odd number
NOTICE_KINDS = frozenset({VoteKind.ASSEMBLY, VoteKind.TEMPORARY})
UPDATABLE = ("title", "description", "kind", "secret", "opens_at", "closes_at", "fund_project_id",
             "non_voter_clause")
VOTE_FIELDS = ["title", "description", "kind", "status", "secret", "fund_project_id", "opens_at", "closes_at",
               "opened_at", "closed_at", "published_at", "rule_set", "non_voter_clause", "total_area_m2",
               "total_heads", "roll_sha256", "result_sha256"]


# --- helpers -----------------------------------------------------------------------------------------------------
def _require(actor: Actor, action: str = "organise") -> None:
    if not VotePolicy.can(actor, action):
        raise Forbidden()


def _id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def locked(actor: Actor, vote_id) -> Vote:
    """The actor's estate's vote, row-locked; 404 alike for missing and for another estate's."""
    vote = Vote.objects.select_for_update().filter(estate=actor.estate, pk=_id(vote_id)).first()
    if vote is None:
        raise NotFound()
    return vote


def _text(field: str, value, *, limit: int, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise errors.invalid(field, _("must be text"))
    if required and not value:
        raise errors.invalid(field, _("is required"))
    if len(value) > limit:
        raise errors.invalid(field, errors.Reason(_("is too long (at most %(max)s characters)"), max=limit))
    return value


def _moment(field: str, value) -> datetime.datetime:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is None:
            raise errors.invalid(field, _("is not a date and time"))
        value = parsed
    if not isinstance(value, datetime.datetime):
        raise errors.invalid(field, _("is not a date and time"))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _choice(field: str, value, choices) -> str:
    if value not in choices.values:
        raise errors.invalid(field, errors.Reason(_("must be one of %(choices)s"), choices=", ".join(choices.values)))
    return value


def _fund_project(actor: Actor, kind: str, fund_project_id):
    """A FUND vote decides one PROPOSED project of the estate; other kinds have none."""
    from gongzhi.ledger.choices import FundProjectStatus
    from gongzhi.ledger.models import FundProject

    if kind != VoteKind.FUND:
        if fund_project_id not in (None, ""):
            raise errors.invalid("fund_project_id", _("only a maintenance-fund vote decides a fund project"))
        return None
    if fund_project_id in (None, ""):
        raise errors.invalid("fund_project_id", _("a maintenance-fund vote needs the project it decides"))
    try:
        pk = int(fund_project_id)
    except (TypeError, ValueError):
        raise errors.invalid("fund_project_id", _("no such project in this estate")) from None
    project = FundProject.objects.filter(estate=actor.estate, pk=pk).first()
    if project is None:
        raise errors.invalid("fund_project_id", _("no such project in this estate"))
    if project.emergency or project.status != FundProjectStatus.PROPOSED:
        raise errors.invalid("fund_project_id", _("the project is not waiting for the owners' decision"))
    return project


def _check_times(opens_at, closes_at) -> None:
    if closes_at <= opens_at:
        raise errors.invalid("closes_at", _("must be after the opening time"))


def _snap(vote: Vote) -> dict:
    return snapshot(vote, VOTE_FIELDS)


def _post_notice(actor: Actor, heading, body, **params):
    from gongzhi.notices.services import notice_publish_on_behalf

    title_text = str(heading) % params if params else str(heading)
    body_text = str(body) % params if params else str(body)
    return notice_publish_on_behalf(actor=actor, title=title_text, body=body_text)


def _notify_after_commit(vote: Vote, user_ids, title, body, params) -> None:
    """Notifications (kind VOTE) after the transaction commits, so a rolled-back vote never notifies anyone."""
    user_ids = sorted({u for u in user_ids if u})
    if not user_ids:
        return
    estate, url = vote.estate, f"/e/{vote.estate_id}/votes/{vote.pk}/"

    def send():
        from gongzhi.notifications.choices import NotificationKind
        from gongzhi.notifications.services import notify

        users = get_user_model().objects.filter(pk__in=user_ids)
        notify(estate=estate, users=users, kind=NotificationKind.VOTE, title=title, body=body, url=url,
               params=params)

    transaction.on_commit(send)


def voter_user_ids(vote: Vote, *, only_not_voted: bool = False) -> list[int]:
    """Logins of the representatives on the roll (and of active proxies' agents); ``only_not_voted``: of the
    houses that have no ballot yet."""
    from .models import Proxy, RollEntry

    roll = RollEntry.objects.filter(vote=vote, representative__user__isnull=False)
    proxies = Proxy.objects.filter(vote=vote, revoked_at__isnull=True, agent__user__isnull=False)
    if only_not_voted:
        voted = vote.ballots.values("house_id")
        roll = roll.exclude(house_id__in=voted)
        proxies = proxies.exclude(house_id__in=voted)
    return list(roll.values_list("representative__user_id", flat=True)) + list(
        proxies.values_list("agent__user_id", flat=True))


# --- drafts ------------------------------------------------------------------------------------------------------
@transaction.atomic
def vote_create(*, actor, title, description="", kind=VoteKind.ASSEMBLY, secret=False, opens_at, closes_at,
                fund_project_id=None, non_voter_clause="", idempotency_key="") -> Vote:
    """A draft vote. The same ``idempotency_key`` again returns the vote it created."""
    _require(actor)
    key = _text("idempotency_key", idempotency_key, limit=KEY_MAX)
    if key:
        existing = Vote.objects.filter(estate=actor.estate, idempotency_key=key).first()
        if existing is not None:
            if existing.title != (title or "").strip():
                raise errors.key_reused(key)
            return existing
    kind = _choice("kind", kind, VoteKind)
    vote = Vote(estate=actor.estate, created_by=actor.user, idempotency_key=key, kind=kind,
                title=_text("title", title, limit=TITLE_MAX, required=True),
                description=_text("description", description, limit=TEXT_MAX),
                secret=bool(secret), opens_at=_moment("opens_at", opens_at), closes_at=_moment("closes_at", closes_at),
                non_voter_clause=_text("non_voter_clause", non_voter_clause, limit=REASON_MAX))
    _check_times(vote.opens_at, vote.closes_at)
    vote.fund_project = _fund_project(actor, kind, fund_project_id)
    try:
        with transaction.atomic():
            vote.save()
    except IntegrityError:  # a concurrent request with the same key won
        existing = Vote.objects.filter(estate=actor.estate, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    audit(user=actor.user, estate=actor.estate, action="vote.create", obj=vote, after=_snap(vote))
    return vote


@transaction.atomic
def vote_update(*, actor, vote_id, **fields) -> Vote:
    """Change a draft: any of title, description, kind, secret, opens_at, closes_at, fund_project_id,
    non_voter_clause. 409 ``vote_not_draft`` once it has opened."""
    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status != S.DRAFT:
        raise errors.vote_not_draft(vote)
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise errors.invalid(unknown[0], _("cannot be changed"))
    before = _snap(vote)
    if "title" in fields:
        vote.title = _text("title", fields["title"], limit=TITLE_MAX, required=True)
    if "description" in fields:
        vote.description = _text("description", fields["description"], limit=TEXT_MAX)
    if "non_voter_clause" in fields:
        vote.non_voter_clause = _text("non_voter_clause", fields["non_voter_clause"], limit=REASON_MAX)
    if "secret" in fields:
        vote.secret = bool(fields["secret"])
    if "opens_at" in fields:
        vote.opens_at = _moment("opens_at", fields["opens_at"])
    if "closes_at" in fields:
        vote.closes_at = _moment("closes_at", fields["closes_at"])
    _check_times(vote.opens_at, vote.closes_at)
    if "kind" in fields or "fund_project_id" in fields:
        vote.kind = _choice("kind", fields.get("kind", vote.kind), VoteKind)
        vote.fund_project = _fund_project(actor, vote.kind, fields.get("fund_project_id", vote.fund_project_id))
        if vote.kind == VoteKind.FUND and vote.items.exclude(matter=Matter.FUND_USE).exists():
            raise errors.invalid("kind", _("a maintenance-fund vote has only items on using the fund"))
    vote.save()
    audit(user=actor.user, estate=actor.estate, action="vote.update", obj=vote, before=before, after=_snap(vote))
    return vote


def _options(actor: Actor, form: str, options, seats) -> list[dict]:
    options = list(options or ())
    if len(options) > MAX_OPTIONS:
        raise errors.invalid("options", errors.Reason(_("at most %(max)s options"), max=MAX_OPTIONS))
    cleaned = []
    person_ids = set()
    for index, raw in enumerate(options):
        field = f"options[{index}]"
        if not isinstance(raw, dict):
            raise errors.invalid(field, _("must be an object with a label"))
        person_id = raw.get("person_id")
        label = _text(f"{field}.label", raw.get("label"), limit=ITEM_TITLE_MAX, required=person_id in (None, ""))
        statement = _text(f"{field}.statement", raw.get("statement"), limit=TEXT_MAX)
        cleaned.append({"label": label, "person_id": person_id, "statement": statement})
        if person_id not in (None, ""):
            person_ids.add(person_id)
    if form == BallotForm.YES_NO:
        if cleaned:
            raise errors.invalid("options", _("a yes / no item has no options"))
        return []
    if form == BallotForm.CHOOSE_ONE and len(cleaned) < 2:
        raise errors.invalid("options", _("choose one needs at least two options"))
    if form == BallotForm.ELECTION:
        if not cleaned:
            raise errors.invalid("options", _("an election needs candidates"))
        if any(o["person_id"] in (None, "") for o in cleaned):
            raise errors.invalid("options", _("each candidate is a person of the estate's registry"))
    if person_ids:
        from gongzhi.estate.models import Person

        try:
            wanted = {int(p) for p in person_ids}
        except (TypeError, ValueError):
            raise errors.invalid("options", _("no such person in this estate")) from None
        people = {p.pk: p for p in Person.objects.filter(estate=actor.estate, pk__in=wanted)}
        if len(people) != len(wanted):
            raise errors.invalid("options", _("no such person in this estate"))
        seen = set()
        for option in cleaned:
            if option["person_id"] in (None, ""):
                continue
            person = people[int(option["person_id"])]
            if person.pk in seen:
                raise errors.invalid("options", errors.Reason(_("%(name)s is listed twice"), name=person.name))
            seen.add(person.pk)
            option["person_id"] = person.pk
            option["label"] = option["label"] or person.name
    return cleaned


@transaction.atomic
def vote_item_add(*, actor, vote_id, title, matter, form=BallotForm.YES_NO, description="", seats=None,
                  options: list[dict] = ()) -> VoteItem:
    """Add an item (a question) to a draft. Its matter fixes the approval rule (art. 278); its form the ballot."""
    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status != S.DRAFT:
        raise errors.vote_not_draft(vote)
    matter = _choice("matter", matter, Matter)
    form = _choice("form", form, BallotForm)
    if vote.kind == VoteKind.FUND and matter != Matter.FUND_USE:
        raise errors.invalid("matter", _("a maintenance-fund vote decides on using the fund (matter 5)"))
    if form == BallotForm.ELECTION:
        if isinstance(seats, bool) or not isinstance(seats, int | str) or not str(seats).strip().isdigit():
            raise errors.invalid("seats", _("an election needs the number of seats"))
        seats = int(seats)
        if seats < 1:
            raise errors.invalid("seats", _("an election needs the number of seats"))
        low, high = COMMITTEE_SEATS
        if matter == Matter.COMMITTEE and not (low <= seats <= high and seats % 2 == 1):
            raise errors.invalid("seats", errors.Reason(
                _("the owners' committee has %(low)s to %(high)s members, an odd number"), low=low, high=high))
    elif seats not in (None, ""):
        raise errors.invalid("seats", _("only an election has seats"))
    else:
        seats = None
    cleaned = _options(actor, form, options, seats)
    count = vote.items.count()
    if count >= MAX_ITEMS:
        raise errors.invalid("items", errors.Reason(_("at most %(max)s items"), max=MAX_ITEMS))
    last = vote.items.order_by("-position").values_list("position", flat=True).first() or 0
    item = VoteItem.objects.create(estate=actor.estate, vote=vote, position=last + 1,
                                   title=_text("title", title, limit=ITEM_TITLE_MAX, required=True),
                                   description=_text("description", description, limit=TEXT_MAX),
                                   matter=matter, form=form, seats=seats)
    VoteOption.objects.bulk_create([
        VoteOption(estate=actor.estate, item=item, position=i + 1, label=o["label"], person_id=o["person_id"],
                   statement=o["statement"]) for i, o in enumerate(cleaned)])
    audit(user=actor.user, estate=actor.estate, action="vote.item_add", obj=item,
          after={"vote": vote.pk, **snapshot(item, ["position", "title", "matter", "form", "seats"]),
                 "options": [o["label"] for o in cleaned]})
    return item


@transaction.atomic
def vote_item_remove(*, actor, vote_id, item_id) -> None:
    """Remove an item of a draft (items are not append-only; ballots never exist on a draft)."""
    _require(actor)
    vote = locked(actor, vote_id)
    item = VoteItem.objects.filter(vote=vote, pk=_id(item_id)).first()
    if item is None:
        raise NotFound()
    if vote.status != S.DRAFT:
        raise errors.vote_not_draft(vote)
    before = {"vote": vote.pk, **snapshot(item, ["position", "title", "matter", "form", "seats"])}
    VoteOption.objects.filter(item=item).delete()
    item.delete()
    audit(user=actor.user, estate=actor.estate, action="vote.item_remove", obj=vote, before=before)


# --- opening -----------------------------------------------------------------------------------------------------
def notice_days(estate) -> int:
    return int(estate.rules().get("assembly.notice_days", 15))


@transaction.atomic
def vote_open(*, actor, vote_id, notice=True) -> Vote:
    """Open a draft: freeze the roll and the rule set, publish the notice, notify the voters after commit."""
    from .roll import roll_freeze

    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status != S.DRAFT:
        raise errors.vote_not_draft(vote)
    if not vote.items.exists():
        raise errors.invalid("items", _("a vote needs at least one item before it opens"))
    now = timezone.now()
    if vote.closes_at <= now:
        raise errors.invalid("closes_at", _("must be in the future"))
    if vote.kind in NOTICE_KINDS:
        days = notice_days(vote.estate)
        if vote.closes_at - now < datetime.timedelta(days=days):
            given = (vote.closes_at - now).days
            raise errors.notice_too_short(days, given, vote.closes_at)
    if vote.kind == VoteKind.FUND:
        _fund_project(actor, vote.kind, vote.fund_project_id)  # still proposed, not decided meanwhile
    before = _snap(vote)
    roll_freeze(vote=vote)
    vote.status, vote.opened_at = S.OPEN, now
    params = {"title": vote.title, "opens": errors.local(vote.opens_at), "closes": errors.local(vote.closes_at)}
    if notice:
        body = _("The owners' vote \"%(title)s\" is open from %(opens)s to %(closes)s.\n\n%(items)s\n\n"
                 "Each house's representative (or its agent with a written proxy) votes online, or hands in a "
                 "signed written ballot. The voter roll is published with the vote.")
        items = "\n".join(f"{i.position}. {i.title}" for i in vote.items.all())
        vote.notice = _post_notice(actor, _("Owners' vote: %(title)s"), body, items=items, **params)
    vote.save(update_fields=["status", "opened_at", "notice"])
    audit(user=actor.user, estate=actor.estate, action="vote.open", obj=vote, before=before, after=_snap(vote))
    _notify_after_commit(vote, voter_user_ids(vote), _("Vote open: %(title)s"),
                         _("Voting is open until %(closes)s. Your house's ballot counts: please vote."), params)
    return vote


@transaction.atomic
def vote_extend(*, actor, vote_id, closes_at, reason) -> Vote:
    """Move the deadline of an open vote later, with a notice and a reminder to the houses that have not voted."""
    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status != S.OPEN:
        raise errors.vote_state(vote, _("extended"))
    new = _moment("closes_at", closes_at)
    reason = _text("reason", reason, limit=REASON_MAX, required=True)
    now = timezone.now()
    if new <= now or new <= vote.closes_at:
        raise errors.invalid("closes_at", errors.Reason(_("must be later than now and than the current deadline "
                                                          "%(closes)s"), closes=errors.local(vote.closes_at)))
    before = _snap(vote)
    old = vote.closes_at
    params = {"title": vote.title, "old": errors.local(old), "closes": errors.local(new), "reason": reason}
    posted = _post_notice(actor, _("Owners' vote extended: %(title)s"),
                          _("The owners' vote \"%(title)s\" now closes at %(closes)s instead of %(old)s. "
                            "Reason: %(reason)s"), **params)
    VoteExtension.objects.create(estate=actor.estate, vote=vote, old_closes_at=old, new_closes_at=new, reason=reason,
                                 notice=posted, extended_by=actor.user, extended_at=now)
    vote.closes_at = new
    vote.save(update_fields=["closes_at"])
    audit(user=actor.user, estate=actor.estate, action="vote.extend", obj=vote, before=before, after=_snap(vote))
    _notify_after_commit(vote, voter_user_ids(vote, only_not_voted=True), _("Vote extended: %(title)s"),
                         _("Voting now closes at %(closes)s. Your house has not voted yet."), params)
    return vote


def _close(vote: Vote, *, user, estate, now) -> Vote:
    before = _snap(vote)
    vote.status, vote.closed_at = S.CLOSED, now
    vote.save(update_fields=["status", "closed_at"])
    audit(user=user, estate=estate, action="vote.close", obj=vote, before=before, after=_snap(vote))
    return vote


@transaction.atomic
def vote_close(*, actor, vote_id) -> Vote:
    """Close an open vote (early, or when its time is up); closing a closed one again returns it unchanged."""
    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status in {S.CLOSED, S.PUBLISHED}:
        return vote
    if vote.status != S.OPEN:
        raise errors.vote_state(vote, _("closed"))
    return _close(vote, user=actor.user, estate=actor.estate, now=timezone.now())


@transaction.atomic
def vote_close_due(*, vote_id, now=None) -> bool:
    """The periodic job: close an open vote whose time is up (idempotent). True when it closed it now."""
    now = now or timezone.now()
    vote = Vote.objects.select_for_update().filter(pk=vote_id).first()
    if vote is None or vote.status != S.OPEN or vote.closes_at > now:
        return False
    _close(vote, user=None, estate=vote.estate, now=now)
    return True


@transaction.atomic
def vote_cancel(*, actor, vote_id, reason) -> Vote:
    """Cancel a draft or an open vote (with a notice when it was open); never a closed or published one."""
    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status not in {S.DRAFT, S.OPEN}:
        raise errors.vote_state(vote, _("cancelled"))
    reason = _text("reason", reason, limit=REASON_MAX, required=True)
    before = _snap(vote)
    was_open = vote.status == S.OPEN
    vote.status = S.CANCELLED
    vote.save(update_fields=["status"])
    if was_open:
        _post_notice(actor, _("Owners' vote cancelled: %(title)s"),
                     _("The owners' vote \"%(title)s\" is cancelled. Reason: %(reason)s"), title=vote.title,
                     reason=reason)
    audit(user=actor.user, estate=actor.estate, action="vote.cancel", obj=vote, before=before,
          after={**_snap(vote), "reason": reason})
    return vote


# --- the result --------------------------------------------------------------------------------------------------
def item_outcome_line(item, r: dict) -> str:
    """One line of the result notice: the item, its outcome, and the figures it rests on."""
    p = r["participation"]
    title = item.title if item is not None else str(r.get("id"))
    figures = _("participation %(pa)s of %(ta)s m², %(ph)s of %(th)s owners") % {
        "pa": p["area"]["part"], "ta": p["area"]["whole"], "ph": p["heads"]["part"], "th": p["heads"]["whole"]}
    if r["form"] == BallotForm.YES_NO:
        v = r["votes"]
        outcome = _("passed") if r["passes"] else _("not passed")
        detail = _("for %(fa)s m² / %(fh)s, against %(aa)s m² / %(ah)s, abstain %(ba)s m² / %(bh)s") % {
            "fa": v["for"]["area"], "fh": v["for"]["heads"], "aa": v["against"]["area"], "ah": v["against"]["heads"],
            "ba": v["abstain"]["area"], "bh": v["abstain"]["heads"]}
    elif r["form"] == BallotForm.CHOOSE_ONE:
        labels = {o["id"]: o["label"] for o in r["options"]}
        outcome = (_("adopted: %(label)s") % {"label": labels[r["adopted"]]}) if r["adopted"] else _("none adopted")
        detail = "; ".join(f"{o['label']} {o['area']} m² / {o['heads']}" for o in r["options"])
    else:
        names = [c["label"] for c in r["candidates"] if c["elected"]]
        outcome = _("elected: %(names)s") % {"names": ", ".join(names) or "-"}
        if r.get("unfilled"):
            outcome = f"{outcome}; " + _("%(n)s seats unfilled") % {"n": r["unfilled"]}
        detail = "; ".join(f"{c['label']} {c['area']} m² / {c['heads']}" for c in r["candidates"])
    number = item.position if item is not None else r.get("position")
    return f"{number}. {title}: {outcome} ({figures}; {detail})"


def _outcome_lines(vote: Vote, result: dict) -> list[str]:
    items = {i.pk: i for i in vote.items.all()}
    return [item_outcome_line(items.get(r.get("id")), r) for r in result.get("items", [])]


@transaction.atomic
def vote_publish(*, actor, vote_id) -> Vote:
    """closed -> published: the exact tally (``tally.vote_tally``) stored with its digest, the result notice, and
    for a maintenance-fund vote the owners' decision recorded on the project. Publishing again returns it."""
    from .count import result_digest
    from .tally import vote_tally

    _require(actor)
    vote = locked(actor, vote_id)
    if vote.status == S.PUBLISHED:
        return vote
    if vote.status != S.CLOSED:
        raise errors.vote_state(vote, _("published"))
    if vote.fund_project_id and not actor.has_any(COMMITTEE_ROLES):
        raise Forbidden(_("The owners' committee publishes a maintenance-fund vote: it records the owners' decision "
                          "in the fund's books."), code="committee_publishes")
    before = _snap(vote)
    result = vote_tally(vote)
    vote.result, vote.result_sha256 = result, result_digest(result)
    vote.status, vote.published_at = S.PUBLISHED, timezone.now()
    lines = "\n".join(_outcome_lines(vote, result))
    vote.result_notice = _post_notice(
        actor, _("Result of the owners' vote: %(title)s"),
        _("%(lines)s\n\nRule set: %(rule_set)s. Result digest (SHA-256): %(digest)s. The roll and the ballots are "
          "published with the vote; anyone can recompute the result with the recount tool."),
        title=vote.title, lines=lines, rule_set=vote.rule_set, digest=vote.result_sha256)
    vote.save(update_fields=["result", "result_sha256", "status", "published_at", "result_notice"])
    if vote.fund_project_id:
        _record_fund_decision(actor, vote, result)
    audit(user=actor.user, estate=actor.estate, action="vote.publish", obj=vote, before=before, after=_snap(vote))
    _notify_after_commit(vote, voter_user_ids(vote), _("Result published: %(title)s"),
                         _("The result of the owners' vote is published."), {"title": vote.title})
    return vote


def fund_tally(item_result: dict) -> dict:
    """The ledger's tally mapping (area in m², heads) from the engine's result for the fund-use item."""
    votes = item_result["votes"]
    part = item_result["participation"]
    return {"area": {"for": votes["for"]["area"], "against": votes["against"]["area"],
                     "abstain": votes["abstain"]["area"], "total": part["area"]["whole"]},
            "heads": {"for": votes["for"]["heads"], "against": votes["against"]["heads"],
                      "abstain": votes["abstain"]["heads"], "total": part["heads"]["whole"]}}


def _record_fund_decision(actor: Actor, vote: Vote, result: dict) -> None:
    from gongzhi.ledger.choices import ApprovalDecision
    from gongzhi.ledger.fund_projects import fund_project_record_approval
    from gongzhi.ledger.services import document_store

    from .documents import result_pdf

    fund_items = [r for r in result["items"] if r.get("matter") == Matter.FUND_USE]
    if not fund_items:
        return
    item = fund_items[0]
    decision = ApprovalDecision.APPROVED if item.get("passes") else ApprovalDecision.REJECTED
    pdf = result_pdf(vote, result)
    upload = SimpleUploadedFile(f"vote-{vote.pk}-result.pdf", pdf, content_type="application/pdf")
    document = document_store(actor=actor, upload=upload, check_permission=False)
    note = "" if item.get("passes") else str(_("The owners' vote %(vote)s did not pass (%(digest)s).") % {
        "vote": vote.pk, "digest": vote.result_sha256[:16]})
    fund_project_record_approval(actor=actor, project_id=vote.fund_project_id, decision=decision,
                                 tally=fund_tally(item), documents=[document], note=note)



# --- the periodic jobs -------------------------------------------------------------------------------------------
def reminder_every(estate) -> datetime.timedelta:
    return datetime.timedelta(days=int(estate.rules().get("vote.reminder_every_days", 3)))


@transaction.atomic
def vote_remind_due(*, vote_id, now=None) -> int:
    """Remind the houses of an open vote that have not voted (their representatives and proxies' agents with a
    login), at most once every ``vote.reminder_every_days`` days. Returns how many users were reminded."""
    now = now or timezone.now()
    vote = Vote.objects.select_for_update(of=("self",)).select_related("estate").filter(pk=vote_id).first()
    if vote is None or vote.status != S.OPEN or not (vote.opens_at <= now < vote.closes_at):
        return 0
    if vote.last_reminder_at and now - vote.last_reminder_at < reminder_every(vote.estate):
        return 0
    users = sorted(set(voter_user_ids(vote, only_not_voted=True)))
    vote.last_reminder_at = now
    vote.save(update_fields=["last_reminder_at"])
    audit(user=None, estate=vote.estate, action="vote.remind", obj=vote, after={"users": len(users)})
    _notify_after_commit(vote, users, _("Please vote: %(title)s"),
                         _("Your house has not voted yet. Voting closes at %(closes)s."),
                         {"title": vote.title, "closes": errors.local(vote.closes_at)})
    return len(users)
