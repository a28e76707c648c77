"""Notice attachments: PDFs and images, checked by their content, stored privately, served only to people who may
see the notice.

An upload is trusted for nothing, its name and declared type least of all:

- images (JPEG, PNG, WebP) go through the ticket photos' checker (gongzhi.tickets.photos.process_photo): opened and
  verified by Pillow, turned upright and re-encoded from the bare pixels, so no metadata survives (no EXIF
  location);
- PDFs must start with a PDF header and end with an end-of-file marker, and may not carry active content
  (JavaScript, launch actions, embedded files, rich media). They are served as downloads, never inline, with a
  sandboxing Content-Security-Policy, so that a PDF cannot run anything in the site's origin.

Files go to the default storage under notices/<estate_id>/<notice_id>/ with a random name and are streamed only by
the access-checked endpoints (API and page), never from a public URL. Attachments belong to the notice's content:
added and removed only while it is a draft or scheduled.
"""

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.uploads import read_limited
from gongzhi.tickets.photos import process_photo

from .choices import UNPUBLISHED
from .models import Notice, NoticeAttachment
from .policies import NoticePolicy

MAX_PER_NOTICE = 9
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PDF_TYPE = "application/pdf"
ATTACHMENT_FIELDS = ["notice_id", "filename", "content_type", "bytes", "sha256", "uploaded_by_id"]
_ACTIVE_PDF = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_UNSAFE_NAME = re.compile(r"[\\/\x00-\x1f\x7f\"<>|:*?]")


def max_bytes() -> int:
    return getattr(settings, "NOTICE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _type_error() -> DomainError:
    return DomainError(_("This file is not an attachment we accept. Allowed types: PDF, JPEG, PNG and WebP."),
                       code="attachment_type")


def _too_large(limit: int) -> DomainError:
    return DomainError(_("This file is too large: the limit is %(size)s."), code="attachment_too_large",
                       detail={"max_bytes": limit}, size=filesizeformat(limit))


@dataclass(frozen=True)
class Checked:
    content_type: str
    extension: str
    data: bytes


def _read(upload) -> bytes:
    return read_limited(upload, max_bytes(), too_large=_too_large, empty=_type_error)


def _check_pdf(data: bytes) -> Checked:
    if not re.match(rb"%PDF-[12]\.\d", data[:16]) or b"%%EOF" not in data[-2048:]:
        raise _type_error()
    # The raw scan catches names written in the clear; parsing with pypdf reads the objects hidden in compressed
    # object streams too. An encrypted or unreadable PDF cannot be checked, so it is refused.
    if _ACTIVE_PDF.search(data) or _has_active_objects(data):
        raise DomainError(_("This PDF contains active content (scripts, actions or embedded files) and cannot be "
                            "attached. Please print it to a plain PDF first."), code="attachment_active_content")
    return Checked(content_type=PDF_TYPE, extension="pdf", data=data)


ACTIVE_KEYS = frozenset({"/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/XFA",
                         "/GoToE", "/ImportData", "/SubmitForm"})
MAX_PDF_OBJECTS = 200_000


def _has_active_objects(data: bytes) -> bool:
    """Whether any object reachable from the document's catalogue carries active content (a key or an action type
    in ACTIVE_KEYS). Unreadable, encrypted or absurdly large documents count as active: they cannot be checked."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            return True
        pending, seen, visited = [reader.trailer], set(), 0
        while pending:
            node = pending.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                node = node.get_object()
            visited += 1
            if visited > MAX_PDF_OBJECTS:
                return True
            if isinstance(node, DictionaryObject):
                if any(str(k) in ACTIVE_KEYS for k in node.keys()):
                    return True
                if isinstance(node.get("/S"), NameObject) and str(node["/S"]) in ACTIVE_KEYS:
                    return True
                pending.extend(node.values())
            elif isinstance(node, ArrayObject):
                pending.extend(node)
    except Exception:  # any failure to parse means the file cannot be checked
        return True
    return False


def check_upload(upload) -> Checked:
    """The upload's content checked and cleaned; DomainError ``attachment_type``, ``attachment_too_large`` or
    ``attachment_active_content`` otherwise."""
    data = _read(upload)
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    try:
        buffer = BytesIO(data)
        buffer.size = len(data)
        photo = process_photo(buffer)
    except DomainError as error:
        if error.code == "photo_too_large":
            raise DomainError(error.message, code="attachment_too_large", detail=error.detail,
                              **error.params) from None
        raise _type_error() from None
    return Checked(content_type=photo.content_type, extension=photo.extension, data=photo.data)


def clean_filename(name: str, extension: str) -> str:
    """The uploader's file name made safe to show and to send back (no path, no control characters, no quotes),
    with the extension of what the file really is."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = _UNSAFE_NAME.sub("_", name.rsplit(".", 1)[0] if "." in name else name).strip(" ._") or "attachment"
    return f"{stem[:100]}.{extension}"


# --- reading -----------------------------------------------------------------------------------------------------
def attachment_list(*, actor: Actor, notice: Notice) -> list[NoticeAttachment]:
    return list(NoticeAttachment.objects.restrict(actor).filter(notice=notice))


def attachment_get(*, actor: Actor, notice_id: int, attachment_id: int) -> NoticeAttachment:
    attachment = NoticeAttachment.objects.restrict(actor).filter(notice_id=notice_id, pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    return attachment


def attachment_response(attachment: NoticeAttachment) -> FileResponse:
    """Images inline, PDFs as a download; never sniffed, never able to run script in our origin."""
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=not attachment.is_image, filename=attachment.filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# --- writing -----------------------------------------------------------------------------------------------------
def _unpublished(actor: Actor, notice_id: int, action: str) -> Notice:
    from .services import _locked, _published_error

    notice = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, action, notice):
        raise Forbidden()
    if notice.status not in UNPUBLISHED:
        raise _published_error(notice)
    return notice


def _store(attachment: NoticeAttachment, data: bytes, extension: str, stored: list[str]) -> None:
    attachment.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
    stored.append(attachment.file.name)


def notice_attachment_add(*, actor: Actor, notice_id: int, upload, filename: str = "") -> NoticeAttachment:
    """Attach a PDF or an image to a draft or scheduled notice (up to MAX_PER_NOTICE). A published notice answers
    409 ``notice_published``. The stored file is removed again if anything after storing it fails."""
    if not Notice.objects.restrict(actor).filter(pk=notice_id).exists():
        raise NotFound()
    checked = check_upload(upload)
    stored: list[str] = []
    try:
        with transaction.atomic():
            notice = _unpublished(actor, notice_id, "change")
            if NoticeAttachment.objects.filter(notice=notice).count() >= MAX_PER_NOTICE:
                raise DomainError(_("There can be at most %(limit)s attachments here."), code="attachment_limit",
                                  detail={"limit": MAX_PER_NOTICE}, limit=MAX_PER_NOTICE)
            attachment = NoticeAttachment(
                estate=actor.estate, notice=notice, uploaded_by=actor.user, created_at=timezone.now(),
                filename=clean_filename(filename or getattr(upload, "name", ""), checked.extension),
                content_type=checked.content_type, bytes=len(checked.data),
                sha256=hashlib.sha256(checked.data).hexdigest())
            _store(attachment, checked.data, checked.extension, stored)
            attachment.save()
            audit(user=actor.user, estate=actor.estate, action="notice.attachment_add", obj=attachment,
                  after={**snapshot(attachment, ATTACHMENT_FIELDS), "file": attachment.file.name})
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return attachment


def notice_attachment_delete(*, actor: Actor, notice_id: int, attachment_id: int) -> None:
    """Remove an attachment from a draft or scheduled notice (the file is deleted after commit)."""
    with transaction.atomic():
        notice = _unpublished(actor, notice_id, "change")
        attachment = NoticeAttachment.objects.filter(notice=notice, pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        name = attachment.file.name
        audit(user=actor.user, estate=actor.estate, action="notice.attachment_delete", obj=attachment,
              before={**snapshot(attachment, ATTACHMENT_FIELDS), "file": name})
        attachment.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def copy_attachments(*, source: Notice, target: Notice, user) -> None:
    """A correction starts with copies of the original's attachments (own files: deleting a draft correction
    must not touch the original's)."""
    for original in NoticeAttachment.objects.filter(notice=source):
        with original.file.open("rb") as handle:
            data = handle.read()
        copy = NoticeAttachment(estate=target.estate, notice=target, uploaded_by=user, created_at=timezone.now(),
                                filename=original.filename, content_type=original.content_type,
                                bytes=original.bytes, sha256=original.sha256)
        _store(copy, data, original.file.name.rsplit(".", 1)[-1], [])
        copy.save()
