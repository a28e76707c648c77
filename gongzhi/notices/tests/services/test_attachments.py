"""Stories of attachments: checked by content, limited, and only on unpublished notices."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.notices import attachments, services
from gongzhi.notices.tests.factories import PDF_BYTES, blank_pdf

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}
    out = BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def draft(board):
    return services.notice_create(actor=board.manager, title="t", body="b")


def test_a_pdf_and_a_photo_are_attached_the_photo_without_metadata(board, draft):
    pdf = attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                            upload=SimpleUploadedFile("../../安排.PDF", PDF_BYTES))
    assert (pdf.content_type, pdf.filename) == ("application/pdf", "安排.pdf")
    photo = attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                              upload=SimpleUploadedFile("map.png", jpeg_with_gps()))
    assert photo.content_type == "image/jpeg" and photo.filename == "map.jpg"
    stored = Image.open(photo.file.open("rb"))
    assert not stored.getexif()


@pytest.mark.parametrize("data", [b"<script>alert(1)</script>", b"%PDF-1.4 no end marker",
                                  b"GIF89a" + b"\0" * 30])
def test_fake_files_are_refused(board, draft, data):
    with pytest.raises(DomainError) as caught:
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", data))
    assert caught.value.code == "attachment_type"


@pytest.mark.parametrize("disguised", [False, True])
def test_a_pdf_with_javascript_is_refused(board, draft, disguised):
    evil = blank_pdf(javascript="app.alert(1)")
    if disguised:
        # names may be written with #xx escapes: the raw bytes then never say /JavaScript or /JS, the parsed
        # objects do
        evil = evil.replace(b"/JavaScript", b"/Java#53cript").replace(b"/JS", b"/J#53")
        assert attachments._ACTIVE_PDF.search(evil) is None
    with pytest.raises(DomainError) as caught:
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", evil))
    assert caught.value.code == "attachment_active_content"


def test_a_pdf_that_cannot_be_read_is_refused(board, draft):
    garbled = PDF_BYTES[:20] + b"\x00" * 200 + b"\n%%EOF\n"
    with pytest.raises(DomainError) as caught:
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", garbled))
    assert caught.value.code in {"attachment_active_content", "attachment_type"}


def test_size_limit_and_count_limit(board, draft, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = len(PDF_BYTES) - 1
    with pytest.raises(DomainError) as caught:
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    assert caught.value.code == "attachment_too_large"
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    for _ in range(attachments.MAX_PER_NOTICE):
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    with pytest.raises(DomainError) as caught:
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    assert caught.value.code == "attachment_limit"


def test_a_published_notice_takes_no_attachments_and_residents_see_only_published_ones(board, draft):
    attachment = attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                                   upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    with pytest.raises(NotFound):
        attachments.attachment_get(actor=board.resident, notice_id=draft.pk, attachment_id=attachment.pk)
    services.notice_publish(actor=board.manager, notice_id=draft.pk)
    assert attachments.attachment_get(actor=board.resident, notice_id=draft.pk,
                                      attachment_id=attachment.pk) == attachment
    with pytest.raises(Conflict):
        attachments.notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                          upload=SimpleUploadedFile("x.pdf", PDF_BYTES))
    with pytest.raises(Conflict):
        attachments.notice_attachment_delete(actor=board.manager, notice_id=draft.pk, attachment_id=attachment.pk)
