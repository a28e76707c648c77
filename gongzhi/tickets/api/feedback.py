"""The API after resolution: rating and sending back, quotes for paid repairs and their decision, follow-up visits
(回访) and the repair charges. Errors (beyond the usual 401/403/404/422):

- rating: 409 ``not_resolved`` (not resolved yet), 409 ``already_rated``, 400 ``invalid_score`` (not 1–5);
- send back: 400 ``reason_required``, 409 ``illegal_transition`` / ``reopen_window_passed``;
- quotes: 400 ``not_private_repair`` / ``too_many_lines`` / ``invalid_field``, 409 ``quote_not_now`` (the work is
  not on), 409 ``quote_decided`` (decided otherwise or withdrawn), 409 ``quote_charged``;
- follow-ups: 409 ``follow_up_exists`` / ``ticket_not_done`` / ``already_recorded``, 400
  ``reopen_needs_unsatisfied``.

Money is a string with 2 places ("260.70").
"""

from django.utils import timezone
from ninja import Query, Router, Status

from gongzhi.core.api import api_actor

from .. import feedback, photos, quotes, selectors
from ..models import FollowUpVisit, Quote, Rating, RepairCharge
from ..presenters import hides_submitter, ticket_detail_data
from .feedback_schemas import (
    ChargeFilters,
    ChargePage,
    DecisionIn,
    FollowUpFilters,
    FollowUpOut,
    FollowUpPage,
    FollowUpRecordIn,
    QuoteIn,
    QuoteOut,
    RatingIn,
    RatingOut,
    SendBackIn,
)
from .schemas import TicketDetailOut

router = Router(tags=["tickets"])
PENDING = {"pending": True, "done": False, "all": None}


def money(value) -> str:
    return f"{value:.2f}"


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


# --- presenters (also for the pages) -----------------------------------------------------------------------------
def rating_data(actor, ticket, rating: Rating) -> dict:
    hidden = hides_submitter(actor, ticket) and rating.rated_by_id == ticket.submitted_by_id
    return {"id": rating.pk, "ticket_id": rating.ticket_id, "round": rating.round, "score": rating.score,
            "comment": rating.comment, "rated_at": rating.rated_at,
            "rated_by": None if hidden else _user(rating.rated_by), "assignee": _user(rating.assignee)}


def quote_data(quote: Quote) -> dict:
    charge = getattr(quote, "charge", None) if quote.status == "accepted" else None
    return {
        "id": quote.pk, "ticket_id": quote.ticket_id, "status": quote.status, "total": money(quote.total),
        "note": quote.note, "proposed_by": _user(quote.proposed_by), "proposed_at": quote.proposed_at,
        "decided_by": _user(quote.decided_by), "decided_at": quote.decided_at,
        "lines": [{"id": line.pk, "kind": line.kind, "description": line.description,
                   "quantity": money(line.quantity), "unit_price": money(line.unit_price),
                   "amount": money(line.amount)} for line in quote.lines.all()],
        "charge": None if charge is None else {"id": charge.pk, "amount": money(charge.amount),
                                               "status": charge.status,
                                               "billing_reference": charge.billing_reference},
    }


def follow_up_data(actor, visit: FollowUpVisit, now=None) -> dict:
    now = now or timezone.now()
    ticket = visit.ticket
    house = None if hides_submitter(actor, ticket) or ticket.house is None else ticket.house.code
    return {
        "id": visit.pk, "round": visit.round, "reason": visit.reason, "created_at": visit.created_at,
        "due_at": visit.due_at, "overdue": visit.done_at is None and visit.due_at is not None and visit.due_at < now,
        "rating_score": getattr(visit, "rating_score", None), "rating_comment": getattr(visit, "rating_comment", None),
        "done_by": _user(visit.done_by), "done_at": visit.done_at, "outcome": visit.outcome or None,
        "note": visit.note,
        "ticket": {"id": ticket.pk, "number": ticket.number, "title": ticket.title, "kind": ticket.kind,
                   "status": ticket.status, "house": house},
    }


def charge_data(charge: RepairCharge) -> dict:
    return {"id": charge.pk, "ticket_id": charge.ticket_id, "ticket_number": charge.ticket.number,
            "quote_id": charge.quote_id, "house_id": charge.house_id, "house": charge.house.code,
            "amount": money(charge.amount), "status": charge.status, "created_at": charge.created_at,
            "billing_reference": charge.billing_reference}


def _detail(actor, ticket_id: int) -> dict:
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return ticket_detail_data(actor, ticket, selectors.ticket_timeline(actor=actor, ticket=ticket),
                              selectors.ticket_comments(actor=actor, ticket=ticket),
                              photos.ticket_photos(actor=actor, ticket=ticket))


# --- rating and sending back -------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/tickets/{ticket_id}/ratings", response=list[RatingOut],
            summary="A ticket's ratings, one per resolution")
def ratings(request, estate_id: int, ticket_id: int):
    actor = api_actor(request, estate_id)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return [rating_data(actor, ticket, r) for r in feedback.ticket_ratings(actor=actor, ticket=ticket)]


@router.post("/estates/{estate_id}/tickets/{ticket_id}/rating", response={201: RatingOut},
             summary="Rate a resolved ticket 1–5 (the household), which closes it")
def rating_submit(request, estate_id: int, ticket_id: int, payload: RatingIn):
    """409 ``not_resolved`` before resolution, 409 ``already_rated`` the second time, 400 ``invalid_score``
    outside 1–5; staff get 403, another household's ticket is 404."""
    actor = api_actor(request, estate_id)
    rating = feedback.rating_submit(actor=actor, ticket_id=ticket_id, score=payload.score, comment=payload.comment)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    rating = next(r for r in feedback.ticket_ratings(actor=actor, ticket=ticket) if r.pk == rating.pk)
    return Status(201, rating_data(actor, ticket, rating))


@router.post("/estates/{estate_id}/tickets/{ticket_id}/send-back", response=TicketDetailOut,
             summary="Send a resolved or closed ticket back (reopen it), with a reason")
def send_back(request, estate_id: int, ticket_id: int, payload: SendBackIn):
    """Within the estate's reopen window (409 ``reopen_window_passed`` after it); 400 ``reason_required``."""
    actor = api_actor(request, estate_id)
    feedback.ticket_send_back(actor=actor, ticket_id=ticket_id, reason=payload.reason)
    return _detail(actor, ticket_id)


# --- quotes ------------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/tickets/{ticket_id}/quotes", response=list[QuoteOut],
            summary="A ticket's quotes with their lines, oldest first")
def quote_list(request, estate_id: int, ticket_id: int):
    actor = api_actor(request, estate_id)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return [quote_data(q) for q in quotes.ticket_quotes(actor=actor, ticket=ticket)]


@router.post("/estates/{estate_id}/tickets/{ticket_id}/quotes", response={201: QuoteOut},
             summary="Quote a private repair (the assigned technician or the desk); withdraws the live quote")
def quote_propose(request, estate_id: int, ticket_id: int, payload: QuoteIn):
    """While the work is on (accepted, in progress, on hold: else 409 ``quote_not_now``); a repair inside a house
    only (400 ``not_private_repair``); 1–50 lines (400 ``too_many_lines``)."""
    actor = api_actor(request, estate_id)
    quote = quotes.quote_propose(actor=actor, ticket_id=ticket_id, lines=[line.dict() for line in payload.lines],
                                 note=payload.note)
    return Status(201, quote_data(quotes.quote_get(actor=actor, quote_id=quote.pk)))


@router.post("/estates/{estate_id}/tickets/{ticket_id}/quotes/{quote_id}/decision", response=QuoteOut,
             summary="Accept or decline a quote (the household)")
def quote_decide(request, estate_id: int, ticket_id: int, quote_id: int, payload: DecisionIn):
    """The same decision again answers it unchanged; the other decision, or a withdrawn quote, is 409
    ``quote_decided``; staff get 403."""
    actor = api_actor(request, estate_id)
    quotes.quote_get_of_ticket(actor=actor, ticket_id=ticket_id, quote_id=quote_id)
    quotes.quote_decide(actor=actor, quote_id=quote_id, accept=payload.accept, note=payload.note)
    return quote_data(quotes.quote_get(actor=actor, quote_id=quote_id))


@router.post("/estates/{estate_id}/tickets/{ticket_id}/quotes/{quote_id}/withdraw", response=QuoteOut,
             summary="Withdraw a quote (who proposed it, the assigned technician or the desk)")
def quote_withdraw(request, estate_id: int, ticket_id: int, quote_id: int):
    actor = api_actor(request, estate_id)
    quotes.quote_get_of_ticket(actor=actor, ticket_id=ticket_id, quote_id=quote_id)
    quotes.quote_withdraw(actor=actor, quote_id=quote_id)
    return quote_data(quotes.quote_get(actor=actor, quote_id=quote_id))


# --- follow-up visits --------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/follow-ups", response=FollowUpPage,
            summary="The follow-up queue (the desk): pending oldest due first, or done, or all")
def follow_ups(request, estate_id: int, filters: Query[FollowUpFilters]):
    actor = api_actor(request, estate_id)
    page = feedback.follow_up_list(actor=actor, pending=PENDING[filters.state], reason=filters.reason,
                                   outcome=filters.outcome, cursor=filters.cursor, limit=filters.limit)
    now = timezone.now()
    return {"items": [follow_up_data(actor, v, now) for v in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/tickets/{ticket_id}/follow-ups", response={201: FollowUpOut},
             summary="Put a done ticket on the follow-up queue (the desk)")
def follow_up_create(request, estate_id: int, ticket_id: int):
    actor = api_actor(request, estate_id)
    visit = feedback.follow_up_create(actor=actor, ticket_id=ticket_id)
    return Status(201, _visit(actor, visit.pk))


@router.post("/estates/{estate_id}/follow-ups/{visit_id}", response=FollowUpOut,
             summary="Record the outcome of a follow-up visit (customer service, managers)")
def follow_up_record(request, estate_id: int, visit_id: int, payload: FollowUpRecordIn):
    """409 ``already_recorded`` the second time; ``reopen`` only with outcome unsatisfied."""
    actor = api_actor(request, estate_id)
    feedback.follow_up_record(actor=actor, visit_id=visit_id, outcome=payload.outcome, note=payload.note,
                              reopen=payload.reopen)
    return _visit(actor, visit_id)


def _visit(actor, visit_id: int) -> dict:
    page = feedback.follow_up_list(actor=actor, pending=None, cursor=None, limit=1, visit_id=visit_id)
    return follow_up_data(actor, page.items[0])


# --- repair charges ----------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/repair-charges", response=ChargePage,
            summary="Repair charges of paid repairs, newest first (finance, managers)")
def repair_charges(request, estate_id: int, filters: Query[ChargeFilters]):
    actor = api_actor(request, estate_id)
    page = quotes.charge_list(actor=actor, status=filters.status, cursor=filters.cursor, limit=filters.limit)
    return {"items": [charge_data(c) for c in page.items], "next_cursor": page.next_cursor}
