"""The tickets API: categories, the list and detail, submitting, the workflow transitions, comments."""

from ninja import Query, Router, Schema, Status

from gongzhi.core.api import api_actor

from .. import selectors, services
from ..choices import TicketKind, TicketStatus
from ..presenters import comment_data, ticket_detail_data, ticket_row_data
from .schemas import CategoryOut, CommentIn, CommentOut, TicketDetailOut, TicketIn, TicketPage, TransitionIn

router = Router(tags=["tickets"])


class TicketFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    status: TicketStatus | None = None
    kind: TicketKind | None = None
    category_id: int | None = None
    assignee_id: int | None = None
    building_id: int | None = None


def _detail(actor, ticket_id: int) -> dict:
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return ticket_detail_data(actor, ticket, selectors.ticket_timeline(actor=actor, ticket=ticket),
                              selectors.ticket_comments(actor=actor, ticket=ticket))


@router.get("/estates/{estate_id}/ticket-categories", response=list[CategoryOut], summary="Ticket categories")
def categories(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return list(selectors.category_list(actor=actor))


@router.post("/estates/{estate_id}/ticket-categories/defaults", response=list[CategoryOut],
             summary="Add the default ticket categories the estate does not have yet (managers)")
def categories_defaults(request, estate_id: int):
    actor = api_actor(request, estate_id)
    services.categories_ensure_defaults(actor=actor)
    return list(selectors.category_list(actor=actor))


@router.get("/estates/{estate_id}/tickets", response=TicketPage, summary="Tickets, filtered, newest first")
def tickets(request, estate_id: int, filters: Query[TicketFilters]):
    actor = api_actor(request, estate_id)
    page = selectors.ticket_page(actor=actor, cursor=filters.cursor, limit=filters.limit, status=filters.status,
                                 kind=filters.kind, category_id=filters.category_id,
                                 assignee_id=filters.assignee_id, building_id=filters.building_id)
    return {"items": [ticket_row_data(actor, t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/tickets", response={201: TicketDetailOut},
             summary="Submit a repair, complaint or suggestion")
def ticket_submit(request, estate_id: int, payload: TicketIn):
    actor = api_actor(request, estate_id)
    ticket = services.ticket_submit(actor=actor, **payload.dict())
    return Status(201, _detail(actor, ticket.pk))


@router.get("/estates/{estate_id}/tickets/{ticket_id}", response=TicketDetailOut,
            summary="A ticket with its timeline and comments")
def ticket_detail(request, estate_id: int, ticket_id: int):
    actor = api_actor(request, estate_id)
    return _detail(actor, ticket_id)


@router.post("/estates/{estate_id}/tickets/{ticket_id}/transitions", response=TicketDetailOut,
             summary="Move a ticket on: assign, grab, accept, start, hold, resume, resolve, close, reject, cancel, "
                     "reopen")
def ticket_transition(request, estate_id: int, ticket_id: int, payload: TransitionIn):
    """An action the ticket's state does not allow answers 409 ``illegal_transition``; one the caller is not a
    party to answers 403."""
    actor = api_actor(request, estate_id)
    services.ticket_transition(actor=actor, ticket_id=ticket_id, action=payload.action, note=payload.note,
                               assignee_id=payload.assignee_id)
    return _detail(actor, ticket_id)


@router.post("/estates/{estate_id}/tickets/{ticket_id}/comments", response={201: CommentOut},
             summary="Comment on a ticket (staff may write internal notes)")
def comment_add(request, estate_id: int, ticket_id: int, payload: CommentIn):
    actor = api_actor(request, estate_id)
    comment = services.comment_add(actor=actor, ticket_id=ticket_id, body=payload.body, internal=payload.internal)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return Status(201, comment_data(actor, ticket, comment))
