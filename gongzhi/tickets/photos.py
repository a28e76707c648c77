"""Ticket photos: checking and cleaning an upload, storing it, and who may see it.

An upload is trusted for nothing: its real content is opened with Pillow (JPEG, PNG and WebP only, whatever its name
or declared type), verified, turned upright by its EXIF orientation and re-encoded from the bare pixels, so that no
metadata survives (no EXIF GPS location, no camera serial, no comments). A thumbnail is made alongside. The files
go to the default storage under tickets/<estate_id>/<ticket_id>/ and are streamed by the API only to people who may
see the ticket.
"""

import hashlib
import struct
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.uploads import read_limited

from . import selectors
from .models import Comment, Ticket, TicketPhoto
from .policies import TicketPolicy

# Pillow format name → (content type, file extension).
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PER_TICKET = 9
MAX_PER_COMMENT = 9
THUMBNAIL_SIDE = 320
# 40 megapixels is more than any phone camera takes; anything bigger is refused before it is decoded.
MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
JPEG_QUALITY = 85

# Pillow's own guard: it warns above this and refuses above twice this. Warnings are turned into errors below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

PHOTO_FIELDS = ["ticket_id", "comment_id", "uploaded_by_id", "content_type", "width", "height", "bytes",
                "sha256"]


def max_bytes() -> int:
    return getattr(settings, "TICKET_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)


def _type_error() -> DomainError:
    return DomainError(_("This file is not a photo we accept. Allowed types: JPEG, PNG and WebP (HEIC is not "
                         "supported: please send a JPEG)."), code="photo_type")


def _too_large(limit: int) -> DomainError:
    return DomainError(_("This photo is too large: the limit is %(size)s."), code="photo_too_large",
                       detail={"max_bytes": limit}, size=filesizeformat(limit))


def _too_many_pixels() -> DomainError:
    return DomainError(_("This photo has too many pixels: the limit is %(megapixels)s megapixels."),
                       code="photo_too_large", detail={"max_pixels": MAX_PIXELS},
                       megapixels=MAX_PIXELS // 1_000_000)


# --- processing --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Processed:
    content_type: str
    extension: str
    data: bytes
    thumbnail: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _read(upload) -> bytes:
    return read_limited(upload, max_bytes(), too_large=_too_large, empty=_type_error)


def _bare(image: Image.Image, fmt: str) -> Image.Image:
    """A new image holding only the pixels: no EXIF, XMP, ICC profile, text chunks or comments carried over."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        mode = "L" if image.mode in {"1", "L"} else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if image.mode in {"1", "L"} else "RGB")
    converted = image if image.mode == mode else image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def process_photo(upload) -> Processed:
    """Check an upload and return it cleaned, with its thumbnail; DomainError ``photo_type`` or ``photo_too_large``
    otherwise. Reads at most the size limit plus one byte."""
    data = _read(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=list(FORMATS)) as probe:
                fmt = probe.format
                if fmt not in FORMATS:  # pragma: no cover - Image.open only tries the allowed formats
                    raise _type_error()
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
            with Image.open(BytesIO(data), formats=[fmt]) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                clean = _bare(upright, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise _type_error() from None
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    content_type, extension = FORMATS[fmt]
    return Processed(content_type=content_type, extension=extension, data=_encode(clean, fmt),
                     thumbnail=_encode(thumb, fmt), width=clean.width, height=clean.height)


# --- who sees photos ---------------------------------------------------------------------------------------------
class TicketPhotoPolicy:
    """A photo is seen by whoever sees its ticket; a photo of an internal note only by staff."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action == "view" and TicketPolicy.can(actor, "view")

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action != "view":
            return qs.none()
        qs = qs.filter(ticket__in=TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)))
        return qs if TicketPolicy.sees_internal_notes(actor) else qs.exclude(comment__internal=True)


def ticket_photos(*, actor: Actor, ticket: Ticket) -> list[TicketPhoto]:
    """The ticket's photos and its comments' photos that the actor may see, oldest first."""
    return list(TicketPhoto.objects.restrict(actor).filter(ticket=ticket).order_by("created_at", "pk"))


def ticket_photo_get(*, actor: Actor, ticket_id: int, photo_id: int) -> TicketPhoto:
    photo = TicketPhoto.objects.restrict(actor).filter(ticket_id=ticket_id, pk=photo_id).first()
    if photo is None:
        raise NotFound()
    return photo


# --- adding ------------------------------------------------------------------------------------------------------
def _limit_error(limit: int) -> DomainError:
    return DomainError(_("There can be at most %(limit)s photos here."), code="photo_limit",
                       detail={"limit": limit}, limit=limit)


def ticket_photo_add(*, actor: Actor, ticket_id: int, upload, comment_id: int | None = None) -> TicketPhoto:
    """Add a photo to a ticket (or to one of its comments, by the comment's author). The actor must see the ticket
    (404 otherwise) and be a party to it: its household, the desk or its assignee (403 otherwise). Up to
    MAX_PER_TICKET photos of the ticket itself and MAX_PER_COMMENT per comment. The files stored are removed again
    if anything after storing them fails."""
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)  # 404 for a ticket the actor may not see
    processed = process_photo(upload)
    stored: list[str] = []
    try:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(estate=actor.estate, pk=ticket_id)  # serialises the count
            if not TicketPolicy.can(actor, "comment", ticket):
                raise Forbidden()
            comment = None
            if comment_id is not None:
                comment = Comment.objects.restrict(actor).filter(ticket=ticket, pk=comment_id).first()
                if comment is None:
                    raise NotFound()
                if comment.author_id != actor.user_id:
                    raise Forbidden()
            existing = TicketPhoto.objects.filter(ticket=ticket, comment=comment)
            limit = MAX_PER_COMMENT if comment else MAX_PER_TICKET
            if existing.count() >= limit:
                raise _limit_error(limit)
            photo = TicketPhoto(estate=actor.estate, ticket=ticket, comment=comment, uploaded_by=actor.user,
                                created_at=timezone.now(), content_type=processed.content_type,
                                width=processed.width, height=processed.height, bytes=len(processed.data),
                                sha256=processed.sha256)
            key = uuid.uuid4().hex
            photo.image.save(f"{key}.{processed.extension}", ContentFile(processed.data), save=False)
            stored.append(photo.image.name)
            photo.thumbnail.save(f"{key}.thumb.{processed.extension}", ContentFile(processed.thumbnail),
                                 save=False)
            stored.append(photo.thumbnail.name)
            photo.save()
            audit(user=actor.user, estate=actor.estate, action="ticket.photo_add", obj=photo,
                  after={**snapshot(photo, PHOTO_FIELDS), "image": photo.image.name})
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return photo
