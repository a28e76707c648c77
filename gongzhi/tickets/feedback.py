"""After resolution (issue 3, "Ratings and follow-up"): the household rates the work 1–5 or sends the ticket back;
an unrated ticket closes by itself after the estate's time, without a rating (never a made-up score); customer
service calls back (回访) on every low rating, every complaint and a sample of the rest, and records the outcome.

The rating closes the ticket through the one workflow (``services.ticket_transition``), so the timeline, the audit
and the notifications stay in one place. Follow-up visits are made by the receiver of
``signals.ticket_transitioned`` below: this module must be imported at start-up (``TicketsConfig.ready``).
"""

import hashlib
from datetime import timedelta
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import RESIDENT_ROLES, Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, audit_entry, audit_many, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.pagination import Page, paginate
from gongzhi.estate.models import Estate
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from . import services
from .choices import Action, FollowUpOutcome, FollowUpReason, TicketKind, TicketStatus
from .models import FollowUpVisit, Rating, Ticket, TicketEvent
from .policies import DESK_ROLES, TicketPolicy, is_desk, is_household, is_staff
from .signals import ticket_transitioned

# The timeline's action for a ticket the system closed because nobody rated it (TicketEvent.action).
AUTO_CLOSE = "auto_close"
COMMENT_MAX = 1000
NOTE_MAX = 2000
SCORE_MIN, SCORE_MAX = 1, 5
# A follow-up visit is due this long after the ticket closed.
FOLLOW_UP_DUE = timedelta(days=2)
AUTO_CLOSE_BATCH = 200
# Tickets that are done: a follow-up visit may be made on them.
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REJECTED,
                           TicketStatus.CANCELLED})
# Who records the outcome of a follow-up visit. The whole desk sees the queue.
FOLLOW_UP_RECORD_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE})
# Rules (gongzhi.estate.jurisdiction) and their defaults.
RULE_AUTO_CLOSE_DAYS, DEFAULT_AUTO_CLOSE_DAYS = "tickets.auto_close_days", 7
RULE_MAX_SCORE, DEFAULT_MAX_SCORE = "tickets.follow_up_max_score", 2
RULE_SAMPLE, DEFAULT_SAMPLE = "tickets.follow_up_sample", "1/10"


# --- policies ----------------------------------------------------------------------------------------------------
def party_tickets(actor: Actor) -> QuerySet:
    """The tickets whose ratings, quotes and charges the actor may see: the desk, every ticket it sees; anyone else
    (a technician, a resident), the tickets assigned to them and their household's. A technician sees every repair
    to grab it, but not what other households paid or said of another technician's work."""
    tickets = TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate))
    if is_desk(actor):
        return tickets
    mine = TicketPolicy.household_q(actor)
    if actor.user_id is not None:
        mine |= Q(assignee_id=actor.user_id)
    return tickets.filter(mine)


class RatingPolicy:
    """Ratings are seen with their ticket by the desk, the technician who did the work and the household; only the
    household rates (a staff member who is not of the household gets 403)."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return is_staff(actor) or actor.has_any(RESIDENT_ROLES)
        if action == "rate":
            return obj is not None and is_household(actor, obj)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action != "view" or not cls.can(actor, "view"):
            return qs.none()
        return qs.filter(ticket__in=party_tickets(actor))


class FollowUpPolicy:
    """Follow-up visits are the desk's work: the desk sees the queue and adds a ticket to it; customer service and
    the managers record the outcome. Residents and technicians never see them."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"view", "create"}:
            return actor.has_any(DESK_ROLES)
        if action == "record":
            return actor.has_any(FOLLOW_UP_RECORD_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if not cls.can(actor, action):
            return qs.none()
        return qs.filter(ticket__in=TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)))


# --- helpers -----------------------------------------------------------------------------------------------------
def _invalid(field: str, reason) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field},
                       field=field, reason=reason)


def _text(field: str, value, max_length: int, *, required: bool = False) -> str:
    """Stored as typed (the templates escape it), trimmed and limited in length."""
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("is required"))
    if len(text) > max_length:
        raise DomainError(_("%(field)s: at most %(max)s characters"), code="invalid_field",
                          detail={"field": field, "max_length": max_length}, field=field, max=max_length)
    return text


def _locked_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, locked for the rest of the transaction; 404 when the actor may not see it."""
    if not TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)).filter(pk=ticket_id).exists():
        raise NotFound()
    ticket = Ticket.objects.select_for_update().filter(estate=actor.estate, pk=ticket_id).first()
    if ticket is None:  # pragma: no cover - tickets are never deleted
        raise NotFound()
    return ticket


def _rule_int(estate: Estate, key: str, default: int) -> int:
    try:
        return int(estate.rules().get(key, default))
    except (TypeError, ValueError):
        return default


def _rule_share(estate: Estate, key: str, default: str) -> Fraction:
    """A share rule ("1/10"), kept exact and between 0 and 1."""
    try:
        share = Fraction(str(estate.rules().get(key, default)))
    except (TypeError, ValueError, ZeroDivisionError):
        share = Fraction(default)
    return min(max(share, Fraction(0)), Fraction(1))


def _page_url(estate_id: int) -> str:
    try:
        return reverse("tickets:follow_ups", kwargs={"estate_id": estate_id})
    except NoReverseMatch:  # the page is not mounted (yet)
        return ""


# --- rating and sending back -------------------------------------------------------------------------------------
def _score(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            value = None
    if value is None or not SCORE_MIN <= value <= SCORE_MAX:
        raise DomainError(_("The rating is a whole number from %(min)s to %(max)s."), code="invalid_score",
                          detail={"field": "score"}, min=SCORE_MIN, max=SCORE_MAX)
    return value


def _already_rated() -> Conflict:
    return Conflict(_("This ticket has already been rated."), code="already_rated")


@transaction.atomic
def rating_submit(*, actor: Actor, ticket_id: int, score: int, comment: str = "") -> Rating:
    """The household rates a resolved ticket 1–5, with a comment, and so closes it. Rated once per resolution
    (``round`` = the ticket's reopen count): twice is 409 ``already_rated``, also when two ratings race (the unique
    constraint on ticket and round backs the check). Before resolution: 409 ``not_resolved``; a score outside 1–5:
    400; someone else's ticket: 404; staff who are not of the household: 403."""
    ticket = _locked_ticket(actor, ticket_id)
    if not RatingPolicy.can(actor, "rate", ticket):
        raise Forbidden(_("Only the household who reported the problem rates the work."), code="not_your_ticket")
    score = _score(score)
    comment = _text("comment", comment, COMMENT_MAX)
    round_ = ticket.reopen_count
    if Rating.objects.filter(ticket=ticket, round=round_).exists():
        raise _already_rated()
    if ticket.status != TicketStatus.RESOLVED:
        raise Conflict(_("The ticket is “%(state)s”: it can be rated once it is resolved."), code="not_resolved",
                       detail={"status": ticket.status}, state=TicketStatus(ticket.status).label)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(estate=ticket.estate, ticket=ticket, round=round_, score=score,
                                           comment=comment, rated_by=actor.user, rated_at=timezone.now(),
                                           assignee_id=ticket.assignee_id)
    except IntegrityError:
        raise _already_rated() from None
    audit(user=actor.user, estate=actor.estate, action="ticket.rate", obj=rating, after=snapshot(rating))
    # Closing hears the rating: the follow-up receiver below reads it for this round.
    services.ticket_transition(actor=actor, ticket_id=ticket.pk, action=Action.CLOSE, note=comment)
    return rating


def ticket_send_back(*, actor: Actor, ticket_id: int, reason: str) -> Ticket:
    """The household is not satisfied and sends the resolved (or closed) ticket back: the workflow's reopen, within
    the estate's window (``tickets.reopen_days``), with a reason (required)."""
    reason = _text("reason", reason, NOTE_MAX)
    if not reason:
        raise DomainError(_("Please say why you send the ticket back."), code="reason_required",
                          detail={"field": "reason"})
    return services.ticket_reopen(actor=actor, ticket_id=ticket_id, note=reason)


def ticket_ratings(*, actor: Actor, ticket: Ticket) -> list[Rating]:
    """The ticket's ratings, one per resolution, oldest first."""
    return list(Rating.objects.restrict(actor).filter(ticket=ticket).select_related("rated_by", "assignee")
                .order_by("round", "pk"))


# --- closing unrated tickets -------------------------------------------------------------------------------------
def auto_close_unrated(now=None) -> int:
    """Close every resolved ticket, of every estate, whose resolution is more than the estate's
    ``tickets.auto_close_days`` old (exactly that old is not yet: the household has the whole time), WITHOUT a
    rating. Each gets an ``auto_close`` step on its timeline (no actor), an audit record, a notification to its
    submitter and the ``ticket_transitioned`` signal. Batched; a second run finds nothing. Returns how many."""
    now = now or timezone.now()
    closed = 0
    estate_ids = set(Ticket.objects.filter(status=TicketStatus.RESOLVED).values_list("estate_id", flat=True))
    for estate in Estate.objects.filter(pk__in=estate_ids).order_by("pk"):
        days = _rule_int(estate, RULE_AUTO_CLOSE_DAYS, DEFAULT_AUTO_CLOSE_DAYS)
        cutoff = now - timedelta(days=days)
        while True:
            count = _auto_close_batch(estate, cutoff=cutoff, days=days, now=now)
            closed += count
            if count < AUTO_CLOSE_BATCH:
                break
    return closed


@transaction.atomic
def _auto_close_batch(estate: Estate, *, cutoff, days: int, now) -> int:
    tickets = list(Ticket.objects.select_for_update()
                   .filter(estate=estate, status=TicketStatus.RESOLVED, resolved_at__lt=cutoff)
                   .order_by("pk")[:AUTO_CLOSE_BATCH])
    if not tickets:
        return 0
    ids = [t.pk for t in tickets]
    updated = Ticket.objects.filter(pk__in=ids, status=TicketStatus.RESOLVED).update(
        status=TicketStatus.CLOSED, closed_at=now, updated_at=now)
    if updated != len(ids):  # pragma: no cover - the rows are locked
        raise Conflict(_("The ticket changed meanwhile; reload it and try again."), code="stale_ticket")
    with translation.override(settings.LANGUAGE_CODE):
        note = gettext("Closed automatically: not rated within %(days)s days.") % {"days": days}
    events, entries = [], []
    for ticket in tickets:
        ticket.estate = estate
        before = snapshot(ticket, services.TICKET_FIELDS)
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
        events.append(TicketEvent(estate=estate, ticket=ticket, actor=None, at=now, action=AUTO_CLOSE,
                                  from_status=TicketStatus.RESOLVED, to_status=TicketStatus.CLOSED, note=note))
        entries.append(audit_entry(user=None, estate=estate, action=f"ticket.{AUTO_CLOSE}", obj=ticket,
                                   before=before, after=snapshot(ticket, services.TICKET_FIELDS)))
    TicketEvent.objects.bulk_create(events)
    audit_many(entries)
    submitters = get_user_model().objects.in_bulk({t.submitted_by_id for t in tickets})
    for ticket in tickets:
        notify(estate=estate, users=[submitters.get(ticket.submitted_by_id)], kind=NotificationKind.TICKET_UPDATE,
               title=_("Ticket %(number)s: closed"),
               body=_("Your ticket %(number)s “%(title)s” was closed because it was not rated within %(days)s "
                      "days."),
               params={"number": ticket.number, "title": ticket.title, "days": days})
        ticket_transitioned.send(sender=Ticket, ticket=ticket, action=AUTO_CLOSE,
                                 from_status=TicketStatus.RESOLVED, actor=None, now=now)
    return len(tickets)


# --- follow-up visits (回访) --------------------------------------------------------------------------------------
def in_sample(ticket_id: int, share: Fraction) -> bool:
    """Whether the ticket falls in the estate's random sample: decided by a hash of its id, so every run (and
    every process) agrees, and about ``share`` of all tickets do."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    digest = hashlib.sha256(f"gongzhi.tickets.follow_up:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % share.denominator < share.numerator


def follow_up_reason(ticket: Ticket, rating: Rating | None) -> str | None:
    """Why a closed ticket gets a follow-up visit, or None: a rating at or below the estate's
    ``tickets.follow_up_max_score``, a complaint, or the sample (``tickets.follow_up_sample``)."""
    estate = ticket.estate
    if rating is not None and rating.score <= _rule_int(estate, RULE_MAX_SCORE, DEFAULT_MAX_SCORE):
        return FollowUpReason.LOW_RATING
    if ticket.kind == TicketKind.COMPLAINT:
        return FollowUpReason.COMPLAINT
    if in_sample(ticket.pk, _rule_share(estate, RULE_SAMPLE, DEFAULT_SAMPLE)):
        return FollowUpReason.SAMPLE
    return None


def follow_up_for_closed(ticket: Ticket, *, actor: Actor | None = None, now=None) -> FollowUpVisit | None:
    """Make the follow-up visit a ticket that has just closed calls for (at most one per round); None if none."""
    now = now or timezone.now()
    round_ = ticket.reopen_count
    if FollowUpVisit.objects.filter(ticket_id=ticket.pk, round=round_).exists():
        return None
    rating = Rating.objects.filter(ticket_id=ticket.pk, round=round_).first()
    reason = follow_up_reason(ticket, rating)
    if reason is None:
        return None
    try:
        with transaction.atomic():
            visit = FollowUpVisit.objects.create(estate_id=ticket.estate_id, ticket=ticket, round=round_,
                                                 reason=reason, created_at=now, due_at=now + FOLLOW_UP_DUE)
    except IntegrityError:
        return None
    audit(user=actor.user if actor else None, estate=ticket.estate, action="follow_up.create", obj=visit,
          after=snapshot(visit))
    if reason == FollowUpReason.LOW_RATING:
        _notify_customer_service(ticket, rating, visit)
    return visit


def _notify_customer_service(ticket: Ticket, rating: Rating, visit: FollowUpVisit) -> None:
    """Customer service hears of a low rating (the managers when the estate has no customer service)."""
    users = _members(ticket.estate_id, Role.CUSTOMER_SERVICE) or _members(ticket.estate_id, Role.MANAGER)
    if not users:
        return
    due = timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M")
    notify(estate=ticket.estate, users=users, kind=NotificationKind.FOLLOW_UP,
           title=_("Low rating on ticket %(number)s"),
           body=_("Ticket %(number)s “%(title)s” was rated %(score)s of 5. Please call the resident back by "
                  "%(due)s."),
           params={"number": ticket.number, "title": ticket.title, "score": rating.score, "due": due},
           url=_page_url(ticket.estate_id))


def _members(estate_id: int, role: str) -> list:
    return [m.user for m in Membership.objects.filter(estate_id=estate_id, role=role, ended_at__isnull=True)
            .select_related("user")]


@receiver(ticket_transitioned, dispatch_uid="gongzhi.tickets.feedback.follow_up_on_close")
def _follow_up_on_close(sender, ticket, action, actor=None, now=None, **kwargs) -> None:
    if action in {Action.CLOSE, AUTO_CLOSE}:
        follow_up_for_closed(ticket, actor=actor, now=now)


@transaction.atomic
def follow_up_create(*, actor: Actor, ticket_id: int) -> FollowUpVisit:
    """The desk puts a done ticket (resolved, closed, rejected or cancelled) on the follow-up queue by hand. One
    visit per round: a second is 409 ``follow_up_exists``; a ticket still open is 409 ``ticket_not_done``."""
    if not FollowUpPolicy.can(actor, "create"):
        raise Forbidden()
    ticket = _locked_ticket(actor, ticket_id)
    if ticket.status not in DONE_STATUSES:
        raise Conflict(_("The ticket is “%(state)s”: a follow-up visit is made once it is done."),
                       code="ticket_not_done", detail={"status": ticket.status},
                       state=TicketStatus(ticket.status).label)
    if FollowUpVisit.objects.filter(ticket=ticket, round=ticket.reopen_count).exists():
        raise Conflict(_("This ticket is already on the follow-up list."), code="follow_up_exists")
    now = timezone.now()
    try:
        with transaction.atomic():
            visit = FollowUpVisit.objects.create(estate=actor.estate, ticket=ticket, round=ticket.reopen_count,
                                                 reason=FollowUpReason.MANUAL, created_at=now,
                                                 due_at=now + FOLLOW_UP_DUE)
    except IntegrityError:
        raise Conflict(_("This ticket is already on the follow-up list."), code="follow_up_exists") from None
    audit(user=actor.user, estate=actor.estate, action="follow_up.create", obj=visit, after=snapshot(visit))
    return visit


@transaction.atomic
def follow_up_record(*, actor: Actor, visit_id: int, outcome: str, note: str = "",
                     reopen: bool = False) -> FollowUpVisit:
    """Customer service (or a manager) records how the call went. Recorded once: again is 409
    ``already_recorded``. An unsatisfied resident's ticket may be reopened at once (``reopen``), within the
    estate's reopen window (else 409 ``reopen_window_passed`` and nothing is recorded)."""
    if not FollowUpVisit.objects.restrict(actor).filter(pk=visit_id).exists():
        raise NotFound()
    if not FollowUpPolicy.can(actor, "record"):
        raise Forbidden()
    visit = FollowUpVisit.objects.select_for_update().select_related("ticket").get(pk=visit_id)
    if visit.done_at is not None:
        raise Conflict(_("The outcome of this follow-up visit has already been recorded."), code="already_recorded")
    if outcome not in FollowUpOutcome.values:
        raise _invalid("outcome", _("is not one of the allowed values"))
    note = _text("note", note, NOTE_MAX)
    if reopen and outcome != FollowUpOutcome.UNSATISFIED:
        raise DomainError(_("Only a resident who is not satisfied has the ticket reopened."),
                          code="reopen_needs_unsatisfied", detail={"field": "reopen"})
    before = snapshot(visit)
    visit.outcome, visit.note, visit.done_by, visit.done_at = outcome, note, actor.user, timezone.now()
    visit.save(update_fields=["outcome", "note", "done_by", "done_at"])
    audit(user=actor.user, estate=actor.estate, action="follow_up.record", obj=visit, before=before,
          after=snapshot(visit))
    if reopen:
        services.ticket_reopen(actor=actor, ticket_id=visit.ticket_id,
                               note=note or gettext("The resident was not satisfied (follow-up visit)."))
    return visit


def follow_up_list(*, actor: Actor, pending: bool | None = True, reason: str | None = None,
                   outcome: str | None = None, visit_id: int | None = None, cursor: str | None = None,
                   limit: int | None = None) -> Page:
    """The follow-up queue: pending visits (``pending=True``) oldest due first, done ones (``False``) newest
    first, or all (``None``) oldest first. Every visit is due a fixed time after it was made, so the order of
    making (the key the cursor pages by) is the order of due dates. Each row carries the round's rating as
    ``rating_score`` and ``rating_comment`` (None without one)."""
    if not FollowUpPolicy.can(actor, "view"):
        raise Forbidden()
    ratings = Rating.objects.filter(ticket_id=OuterRef("ticket_id"), round=OuterRef("round"))
    qs = (FollowUpVisit.objects.restrict(actor)
          .select_related("ticket", "ticket__house__building", "ticket__house__unit", "ticket__category", "done_by")
          .annotate(rating_score=Subquery(ratings.values("score")[:1]),
                    rating_comment=Subquery(ratings.values("comment")[:1])))
    if pending is True:
        qs = qs.filter(done_at__isnull=True)
    elif pending is False:
        qs = qs.filter(done_at__isnull=False)
    if reason:
        qs = qs.filter(reason=reason)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if visit_id is not None:
        qs = qs.filter(pk=visit_id)
    return paginate(qs, cursor=cursor, limit=limit, descending=pending is False)


def follow_up_get(*, actor: Actor, visit_id: int) -> FollowUpVisit:
    visit = FollowUpVisit.objects.restrict(actor).select_related("ticket", "done_by").filter(pk=visit_id).first()
    if visit is None:
        raise NotFound()
    return visit
