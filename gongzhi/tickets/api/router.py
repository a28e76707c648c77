"""The tickets API: categories, the list and detail, submitting, the workflow transitions, comments, photos."""

from typing import Literal

from django.http import FileResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import model_validator

from gongzhi.core.api import api_actor

from .. import photos, selectors, services
from ..choices import TicketKind, TicketStatus
from ..presenters import comment_data, photo_data, ticket_detail_data, ticket_rows_data
from .schemas import (
    CategoryOut,
    CommentIn,
    CommentOut,
    PersonRef,
    PhotoOut,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TransitionIn,
    UserRef,
)

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
                              selectors.ticket_comments(actor=actor, ticket=ticket),
                              photos.ticket_photos(actor=actor, ticket=ticket))


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


def _as_given(cls, values, handler, info):
    return handler(values)


def _plain(schema: type[Schema], **fields) -> type[Schema]:
    """A subclass of a ninja ``Schema`` that validates plain dicts without ninja's per-object ``DjangoGetter``
    wrapper (its ``_run_root_validator``, by name): the list's 50 rows took 2–3 ms in it. Same fields, same
    output; ninja skips validating an instance of the response's own schema again."""
    namespace = {"_run_root_validator": model_validator(mode="wrap")(classmethod(_as_given)),
                 "__annotations__": fields, "__module__": __name__}
    return type(schema.__name__, (schema,), namespace)


_UserRow = _plain(UserRef)
_TicketRow = _plain(TicketOut, assignee=_UserRow | None, submitted_by=_UserRow | None,
                    on_behalf_of=_plain(PersonRef) | None, about_staff=_UserRow | None)
_TicketRows = _plain(TicketPage, items=list[_TicketRow])


@router.get("/estates/{estate_id}/tickets", response=TicketPage, summary="Tickets, filtered, newest first")
def tickets(request, estate_id: int, filters: Query[TicketFilters]):
    actor = api_actor(request, estate_id)
    page = selectors.ticket_row_page(actor=actor, cursor=filters.cursor, limit=filters.limit, status=filters.status,
                                     kind=filters.kind, category_id=filters.category_id,
                                     assignee_id=filters.assignee_id, building_id=filters.building_id)
    return _TicketRows.model_validate({"items": ticket_rows_data(actor, page.items), "next_cursor": page.next_cursor})


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
                               assignee_id=payload.assignee_id, hold_reason=payload.hold_reason)
    return _detail(actor, ticket_id)


@router.post("/estates/{estate_id}/tickets/{ticket_id}/comments", response={201: CommentOut},
             summary="Comment on a ticket (staff may write internal notes)")
def comment_add(request, estate_id: int, ticket_id: int, payload: CommentIn):
    actor = api_actor(request, estate_id)
    comment = services.comment_add(actor=actor, ticket_id=ticket_id, body=payload.body, internal=payload.internal)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    return Status(201, comment_data(actor, ticket, comment))


@router.post("/estates/{estate_id}/tickets/{ticket_id}/photos", response={201: PhotoOut},
             summary="Add a photo to a ticket or to one's own comment (JPEG, PNG or WebP; up to 9 each)")
def photo_add(request, estate_id: int, ticket_id: int, file: File[UploadedFile],
              comment_id: Form[int | None] = None):
    """The content is checked whatever the file is called (``photo_type``), the size limited (``photo_too_large``)
    and the count too (``photo_limit``); the stored photo keeps no metadata (no EXIF location)."""
    actor = api_actor(request, estate_id)
    photo = photos.ticket_photo_add(actor=actor, ticket_id=ticket_id, upload=file, comment_id=comment_id)
    return Status(201, photo_data(photo))


@router.get("/estates/{estate_id}/tickets/{ticket_id}/photos/{photo_id}", url_name="ticket_photo",
            summary="A ticket's photo (or its thumbnail), to people who may see the ticket")
def photo_file(request, estate_id: int, ticket_id: int, photo_id: int, size: Literal["full", "thumb"] = "full"):
    actor = api_actor(request, estate_id)
    photo = photos.ticket_photo_get(actor=actor, ticket_id=ticket_id, photo_id=photo_id)
    stored = photo.thumbnail if size == "thumb" else photo.image
    response = FileResponse(stored.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
