"""Ticket photos: only real JPEG/PNG/WebP content, cleaned of metadata, limited in size and number, audited, and
nothing left behind when an upload is refused."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.tickets.models import TicketPhoto
from gongzhi.tickets.photos import MAX_PER_COMMENT, MAX_PER_TICKET, THUMBNAIL_SIDE, ticket_photo_add
from gongzhi.tickets.tests.factories import CommentFactory

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt="JPEG", size=(800, 600), color=(200, 30, 30), exif=None) -> bytes:
    out = BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, size, color)
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def gps_exif() -> Image.Exif:
    """EXIF as a phone writes it: the camera, the time and where the photo was taken (Shanghai)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:21 09:30:00"  # DateTime
    exif[GPS_IFD] = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 20.0)}
    return exif


def stored_files(tmp_path) -> list:
    return [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                                   ("WEBP", "image/webp")])
def test_a_resident_adds_a_photo_of_each_accepted_type(desk, media, fmt, content_type):
    # given the resident's repair and a photo taken with the phone (named whatever)
    ticket = desk.ticket()
    # when they add it
    photo = ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk,
                             upload=upload(image_bytes(fmt), name="IMG_0001.bin", content_type="x/unknown"))
    # then it is stored under the estate and ticket, with its real type and sizes
    assert (photo.content_type, photo.width, photo.height) == (content_type, 800, 600)
    assert photo.image.name.startswith(f"tickets/{desk.estate.pk}/{ticket.pk}/")
    assert photo.image.name.endswith("." + {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt])
    with photo.image.open("rb") as f:
        stored = Image.open(BytesIO(f.read()))
        assert (stored.format, stored.size) == (fmt, (800, 600))
    assert photo.bytes == photo.image.size
    assert len(photo.sha256) == 64
    assert photo.uploaded_by == desk.resident.user and photo.comment is None


def test_the_thumbnail_is_at_most_320_pixels_on_the_long_side(desk):
    # given a tall photo
    ticket = desk.ticket()
    # when it is added
    photo = ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(image_bytes(size=(600, 1600))))
    # then the thumbnail keeps the proportions within 320 pixels
    with photo.thumbnail.open("rb") as f:
        thumb = Image.open(BytesIO(f.read()))
        assert thumb.size == (120, THUMBNAIL_SIDE)
        assert thumb.format == "JPEG"


def test_gps_location_and_all_other_exif_are_stripped(desk):
    # given a JPEG carrying EXIF with the GPS position, and a rotated one
    ticket = desk.ticket()
    original = image_bytes(exif=gps_exif())
    assert Image.open(BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture really has a location
    # when it is added
    photo = ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(original))
    # then the stored photo and its thumbnail have no EXIF at all
    for stored in (photo.image, photo.thumbnail):
        with stored.open("rb") as f:
            data = f.read()
        image = Image.open(BytesIO(data))
        assert "exif" not in image.info
        assert len(image.getexif()) == 0
        assert b"Exif" not in data and b"PhoneMaker" not in data


def test_the_exif_orientation_is_applied_before_it_is_stripped(desk):
    # given a landscape JPEG that says "rotate 90° clockwise to view"
    ticket = desk.ticket()
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    # when it is added
    photo = ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk,
                             upload=upload(image_bytes(size=(800, 600), exif=exif)))
    # then it is stored upright (portrait) and without the orientation tag
    assert (photo.width, photo.height) == (600, 800)
    with photo.image.open("rb") as f:
        assert ORIENTATION not in Image.open(BytesIO(f.read())).getexif()


@pytest.mark.parametrize("data", [
    b"#!/bin/sh\nrm -rf /\n",
    b"<script>alert(1)</script>",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"",
], ids=["shell-script", "html", "gif", "empty"])
def test_anything_but_a_real_photo_is_refused_whatever_its_name(desk, media, data):
    # given a file named and declared as a JPEG that is not one
    ticket = desk.ticket()
    # when it is uploaded, then it is refused with the allowed types named
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data, name="photo.jpg"))
    assert refused.value.code == "photo_type"
    assert "JPEG, PNG and WebP" in refused.value.text("en") and "HEIC" in refused.value.text()
    # and nothing is left behind
    assert not TicketPhoto.objects.exists() and stored_files(media) == []


def test_a_truncated_photo_is_refused(desk, media):
    # given a JPEG cut off half way
    ticket = desk.ticket()
    data = image_bytes(size=(1200, 900))
    # when it is uploaded, then it is refused
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data[: len(data) // 2]))
    assert refused.value.code == "photo_type"
    assert stored_files(media) == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(desk, media):
    # given a small PNG that declares 8000 × 8000 pixels (64 megapixels)
    ticket = desk.ticket()
    out = BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    # when it is uploaded, then it is refused as too large
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(out.getvalue(), name="bomb.png"))
    assert refused.value.code == "photo_too_large"
    assert stored_files(media) == []


def test_an_oversized_file_is_refused(desk, media, settings):
    # given a size limit of 50 kB and a bigger photo
    settings.TICKET_PHOTO_MAX_BYTES = 50 * 1024
    ticket = desk.ticket()
    noisy = Image.effect_noise((600, 600), 100).convert("RGB")
    out = BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 50 * 1024
    # when it is uploaded, then it is refused with the limit in the message
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(out.getvalue(), name="big.png"))
    assert refused.value.code == "photo_too_large"
    assert "50.0\xa0KB" in refused.value.text() and refused.value.detail == {"max_bytes": 50 * 1024}
    assert not TicketPhoto.objects.exists() and stored_files(media) == []


def test_the_tenth_photo_of_a_ticket_is_refused(desk, media):
    # given a ticket with nine photos
    ticket = desk.ticket()
    data = image_bytes(size=(64, 48))
    for _ in range(MAX_PER_TICKET):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data))
    # when a tenth is added
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data))
    # then it is refused and only the nine (and their thumbnails) are stored
    assert refused.value.code == "photo_limit"
    assert TicketPhoto.objects.filter(ticket=ticket).count() == MAX_PER_TICKET
    assert len(stored_files(media)) == 2 * MAX_PER_TICKET


def test_a_comment_has_its_own_nine_photos(desk):
    # given a ticket with nine photos and the resident's comment on it
    ticket = desk.ticket()
    data = image_bytes(size=(64, 48))
    for _ in range(MAX_PER_TICKET):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data))
    comment = CommentFactory(ticket=ticket, author=desk.resident.user)
    # when nine photos are added to the comment, then they are accepted, and a tenth is not
    for _ in range(MAX_PER_COMMENT):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data), comment_id=comment.pk)
    with pytest.raises(DomainError) as refused:
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(data), comment_id=comment.pk)
    assert refused.value.code == "photo_limit"
    assert TicketPhoto.objects.filter(comment=comment).count() == MAX_PER_COMMENT


def test_only_the_author_adds_photos_to_a_comment(desk):
    # given the technician's comment on the resident's ticket
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    comment = CommentFactory(ticket=ticket, author=desk.technician.user)
    # when the resident tries to attach a photo to it, then it is forbidden
    with pytest.raises(Forbidden):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(image_bytes()),
                         comment_id=comment.pk)
    # and a comment of another ticket is not found
    other = CommentFactory(ticket=desk.ticket(), author=desk.resident.user)
    with pytest.raises(NotFound):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(image_bytes()),
                         comment_id=other.pk)


def test_the_upload_is_audited(desk):
    # given the resident's ticket
    ticket = desk.ticket()
    # when a photo is added
    photo = ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(image_bytes()))
    # then the audit log says who added which photo to which ticket
    entry = AuditEntry.objects.get(action="ticket.photo_add")
    assert (entry.actor, entry.estate, entry.object_id) == (desk.resident.user, desk.estate, str(photo.pk))
    assert entry.after["ticket_id"] == ticket.pk and entry.after["sha256"] == photo.sha256


def test_who_may_add_photos(desk):
    # given the resident's repair assigned to the first technician
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    data = image_bytes(size=(64, 48))
    # then the household, the desk and the assignee may add photos
    for actor in (desk.resident, desk.family, desk.dispatcher, desk.technician):
        ticket_photo_add(actor=actor, ticket_id=ticket.pk, upload=upload(data))
    # and another technician (who sees repairs to grab them) may not
    with pytest.raises(Forbidden):
        ticket_photo_add(actor=desk.technician2, ticket_id=ticket.pk, upload=upload(data))
    # and a neighbour or a guard does not even find the ticket
    for actor in (desk.neighbour, desk.guard):
        with pytest.raises(NotFound):
            ticket_photo_add(actor=actor, ticket_id=ticket.pk, upload=upload(data))
    assert TicketPhoto.objects.filter(ticket=ticket).count() == 4


def test_when_the_database_write_fails_the_stored_files_are_removed(desk, media, monkeypatch):
    # given the audit write fails after the files were stored
    ticket = desk.ticket()

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr("gongzhi.tickets.photos.audit", broken)
    # when a photo is added
    with pytest.raises(RuntimeError):
        ticket_photo_add(actor=desk.resident, ticket_id=ticket.pk, upload=upload(image_bytes()))
    # then neither a row nor a file is left
    assert not TicketPhoto.objects.exists() and stored_files(media) == []
