from io import BytesIO

import factory
from django.utils import timezone
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.estate.tests.factories import EstateFactory
from gongzhi.notices.models import Notice, NoticeAttachment, NoticeHouse


def blank_pdf(*, javascript: str = "") -> bytes:
    """A real one-page PDF (written by pypdf); with ``javascript``, one that runs it when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if javascript:
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(javascript)})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BYTES = blank_pdf()


class NoticeFactory(factory.django.DjangoModelFactory):
    """A draft routine notice to the whole estate."""

    class Meta:
        model = Notice

    estate = factory.SubFactory(EstateFactory)
    title = factory.Sequence(lambda n: f"通知{n}")
    body = "小区将于本周六进行消防演练。\n请配合。"
    created_by = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)


class PublishedNoticeFactory(NoticeFactory):
    """Published (without an audience: use services.notice_publish for the frozen audience)."""

    status = "published"
    published_at = factory.LazyFunction(timezone.now)
    publish_at = factory.SelfAttribute("published_at")


class NoticeHouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoticeHouse

    notice = factory.SubFactory(PublishedNoticeFactory)
    estate = factory.SelfAttribute("notice.estate")
    house = None
    building = factory.SelfAttribute("house.building")


class NoticeAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoticeAttachment

    notice = factory.SubFactory(PublishedNoticeFactory)
    estate = factory.SelfAttribute("notice.estate")
    file = factory.django.FileField(filename="plan.pdf", data=PDF_BYTES)
    filename = "停水安排.pdf"
    content_type = "application/pdf"
    bytes = len(PDF_BYTES)
    sha256 = "0" * 64
    uploaded_by = factory.SelfAttribute("notice.created_by")
