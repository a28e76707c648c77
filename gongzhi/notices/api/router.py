"""The notices API: the list and detail (reading marks the resident's house read), drafts, publishing, corrections,
withdrawal, attachments, read receipts and reminders."""

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Forbidden

from .. import attachments, selectors, services
from ..choices import NoticeKind, NoticeState
from ..policies import NoticePolicy
from ..presenters import attachment_data, notice_detail_data, notice_row_data
from .schemas import (
    AttachmentOut,
    NoticeIn,
    NoticeOut,
    NoticePage,
    PublishIn,
    ReceiptsOut,
    RemindOut,
    SupersedeIn,
    UnreadHousePage,
    WithdrawIn,
)

router = Router(tags=["notices"])


class NoticeFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    state: NoticeState | None = None
    kind: NoticeKind | None = None
    building_id: int | None = None
    q: str | None = None


class UnreadFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    building_id: int | None = None


def _detail(actor, notice_id: int) -> dict:
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    return notice_detail_data(actor, notice, attachments.attachment_list(actor=actor, notice=notice))


def _receipts_notice(actor, notice_id: int):
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    if not NoticePolicy.can(actor, "receipts", notice):
        raise Forbidden()
    return notice


@router.get("/estates/{estate_id}/notices", response=NoticePage,
            summary="Notices, newest first (staff: all, with filters; residents: the current ones for their houses)")
def notices(request, estate_id: int, filters: Query[NoticeFilters]):
    actor = api_actor(request, estate_id)
    page = selectors.notice_page(actor=actor, cursor=filters.cursor, limit=filters.limit, state=filters.state,
                                 kind=filters.kind, building_id=filters.building_id, q=filters.q)
    return {"items": [notice_row_data(actor, n) for n in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/notices", response={201: NoticeOut}, summary="Write a draft notice")
def notice_create(request, estate_id: int, payload: NoticeIn):
    actor = api_actor(request, estate_id)
    notice = services.notice_create(actor=actor, **payload.fields())
    return Status(201, _detail(actor, notice.pk))


@router.get("/estates/{estate_id}/notices/{notice_id}", response=NoticeOut,
            summary="A notice; opening it marks the resident's house read")
def notice_detail(request, estate_id: int, notice_id: int):
    """A resident reading a notice of their house marks the house read (once: the first reader stays on
    record). A notice of another building, or a draft, is 404 for a resident."""
    actor = api_actor(request, estate_id)
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    if services.notice_mark_read(actor=actor, notice=notice):
        notice.read_by_me = True
    return notice_detail_data(actor, notice, attachments.attachment_list(actor=actor, notice=notice))


@router.put("/estates/{estate_id}/notices/{notice_id}", response=NoticeOut,
            summary="Change a draft (or scheduled) notice; a published one answers 409 notice_published")
def notice_update(request, estate_id: int, notice_id: int, payload: NoticeIn):
    actor = api_actor(request, estate_id)
    services.notice_update(actor=actor, notice_id=notice_id, **payload.fields())
    return _detail(actor, notice_id)


@router.delete("/estates/{estate_id}/notices/{notice_id}", response={204: None},
               summary="Delete a draft (or scheduled) notice; a published one answers 409 notice_published")
def notice_delete(request, estate_id: int, notice_id: int):
    actor = api_actor(request, estate_id)
    services.notice_delete(actor=actor, notice_id=notice_id)
    return Status(204, None)


@router.post("/estates/{estate_id}/notices/{notice_id}/publish", response=NoticeOut,
             summary="Publish now, or schedule for publish_at")
def notice_publish(request, estate_id: int, notice_id: int, payload: PublishIn):
    """Publishing freezes the audience (the houses with a household in the target) for the read receipts;
    emergencies are pushed to every resident of those houses, important notices notified in the app."""
    actor = api_actor(request, estate_id)
    services.notice_publish(actor=actor, notice_id=notice_id, publish_at=payload.publish_at)
    return _detail(actor, notice_id)


@router.post("/estates/{estate_id}/notices/{notice_id}/supersede", response={201: NoticeOut},
             summary="Start a correction of a published notice (a draft pointing at it; publish it to replace it)")
def notice_supersede(request, estate_id: int, notice_id: int, payload: SupersedeIn):
    actor = api_actor(request, estate_id)
    changes = payload.dict(exclude_unset=True)
    if "category" in changes:
        changes["category"] = changes["category"] or ""
    correction = services.notice_supersede(actor=actor, notice_id=notice_id, **changes)
    return Status(201, _detail(actor, correction.pk))


@router.post("/estates/{estate_id}/notices/{notice_id}/withdraw", response=NoticeOut,
             summary="Withdraw a published notice, with a reason (it stays in the archive)")
def notice_withdraw(request, estate_id: int, notice_id: int, payload: WithdrawIn):
    actor = api_actor(request, estate_id)
    services.notice_withdraw(actor=actor, notice_id=notice_id, reason=payload.reason)
    return _detail(actor, notice_id)


@router.post("/estates/{estate_id}/notices/{notice_id}/attachments", response={201: AttachmentOut},
             summary="Attach a PDF, JPEG, PNG or WebP to a draft (up to 9)")
def attachment_add(request, estate_id: int, notice_id: int, file: File[UploadedFile],
                   filename: Form[str] = ""):
    """The content is checked whatever the file is called (``attachment_type``), the size limited
    (``attachment_too_large``), active PDF content refused (``attachment_active_content``), the count too
    (``attachment_limit``); images keep no metadata."""
    actor = api_actor(request, estate_id)
    attachment = attachments.notice_attachment_add(actor=actor, notice_id=notice_id, upload=file,
                                                   filename=filename or file.name or "")
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    return Status(201, attachment_data(notice, attachment))


@router.get("/estates/{estate_id}/notices/{notice_id}/attachments/{attachment_id}", url_name="notice_attachment",
            summary="An attachment, to people who may see the notice (images inline, PDFs as a download)")
def attachment_file(request, estate_id: int, notice_id: int, attachment_id: int):
    actor = api_actor(request, estate_id)
    return attachments.attachment_response(
        attachments.attachment_get(actor=actor, notice_id=notice_id, attachment_id=attachment_id))


@router.delete("/estates/{estate_id}/notices/{notice_id}/attachments/{attachment_id}", response={204: None},
               summary="Remove an attachment from a draft")
def attachment_delete(request, estate_id: int, notice_id: int, attachment_id: int):
    actor = api_actor(request, estate_id)
    attachments.notice_attachment_delete(actor=actor, notice_id=notice_id, attachment_id=attachment_id)
    return Status(204, None)


@router.get("/estates/{estate_id}/notices/{notice_id}/receipts", response=ReceiptsOut,
            summary="Read receipts: houses reached, read and unread, by building")
def receipts(request, estate_id: int, notice_id: int):
    actor = api_actor(request, estate_id)
    return selectors.receipts_summary(actor=actor, notice=_receipts_notice(actor, notice_id))


@router.get("/estates/{estate_id}/notices/{notice_id}/receipts/unread", response=UnreadHousePage,
            summary="The houses that have not read the notice")
def receipts_unread(request, estate_id: int, notice_id: int, filters: Query[UnreadFilters]):
    actor = api_actor(request, estate_id)
    notice = _receipts_notice(actor, notice_id)
    page = selectors.unread_houses_page(actor=actor, notice=notice, cursor=filters.cursor, limit=filters.limit,
                                        building_id=filters.building_id)
    return {"items": [{"id": r.pk, "house_id": r.house_id, "house": r.house.code, "building_id": r.building_id}
                      for r in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/notices/{notice_id}/remind", response=RemindOut,
             summary="Remind the unread houses' residents (at most once per window; else 409 remind_too_soon)")
def remind(request, estate_id: int, notice_id: int):
    actor = api_actor(request, estate_id)
    reminded = services.notice_remind(actor=actor, notice_id=notice_id)
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    return {"reminded": reminded, "next_allowed_at": notice.last_reminded_at + services.remind_window()}
