import datetime

import factory
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.estate.tests.factories import EstateFactory, HouseFactory
from gongzhi.tickets.models import (
    CalendarDay,
    Category,
    Comment,
    DutyShift,
    ServiceCalendar,
    SlaTarget,
    TechnicianProfile,
    Ticket,
    TicketPhoto,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"类别{n}")
    kind = "repair"
    default_priority = "normal"
    # No skill by default: any technician may grab or be given it. Tests of skill matching set one.
    skill = ""
    response_minutes = 15
    resolution_minutes = 24 * 60


class TicketFactory(factory.django.DjangoModelFactory):
    """A private repair in a house, as submitted; pass ``status`` and ``assignee`` for a ticket further on."""

    class Meta:
        model = Ticket

    house = factory.SubFactory(HouseFactory)
    estate = factory.SelfAttribute("house.estate")
    building = factory.SelfAttribute("house.building")
    unit = factory.SelfAttribute("house.unit")
    category = factory.SubFactory(CategoryFactory, estate=factory.SelfAttribute("..estate"))
    number = factory.Sequence(lambda n: f"R20261121{n:05d}")
    kind = "repair"
    priority = "normal"
    scope = "private"
    title = "厨房水管漏水"
    description = "水槽下面一直滴水"
    submitted_by = factory.SubFactory(UserFactory)
    channel = "portal"
    status = "submitted"
    submitted_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    estate = factory.SelfAttribute("ticket.estate")
    author = factory.SubFactory(UserFactory)
    body = "师傅下午三点上门"


def _jpeg(size=(64, 48)) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


class TicketPhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo of a ticket (a real JPEG and its thumbnail, as the service would store them): set
    settings.MEDIA_ROOT to a temporary directory first."""

    class Meta:
        model = TicketPhoto

    ticket = factory.SubFactory(TicketFactory)
    estate = factory.SelfAttribute("ticket.estate")
    uploaded_by = factory.SelfAttribute("ticket.submitted_by")
    image = factory.django.FileField(filename="photo.jpg", data=_jpeg())
    thumbnail = factory.django.FileField(filename="photo.thumb.jpg", data=_jpeg((32, 24)))
    content_type = "image/jpeg"
    width = 64
    height = 48
    bytes = factory.LazyAttribute(lambda o: o.image.size)
    sha256 = "0" * 64


# --- dispatch and SLA --------------------------------------------------------------------------------------------
class TechnicianProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianProfile

    estate = factory.SubFactory(EstateFactory)
    user = factory.SubFactory(UserFactory)
    skills = factory.LazyFunction(lambda: ["plumbing"])
    auto_dispatch = True


class DutyShiftFactory(factory.django.DjangoModelFactory):
    """Monday 08:00–17:00 unless told otherwise."""

    class Meta:
        model = DutyShift

    estate = factory.SubFactory(EstateFactory)
    user = factory.SubFactory(UserFactory)
    weekday = 0
    starts = datetime.time(8, 0)
    ends = datetime.time(17, 0)


class ServiceCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCalendar

    estate = factory.SubFactory(EstateFactory)


class CalendarDayFactory(factory.django.DjangoModelFactory):
    """A public holiday unless ``working=True``."""

    class Meta:
        model = CalendarDay

    estate = factory.SubFactory(EstateFactory)
    date = datetime.date(2027, 1, 1)
    working = False
    hours_of_weekday = 0
    name = "元旦"


class SlaTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaTarget

    category = factory.SubFactory(CategoryFactory)
    estate = factory.SelfAttribute("category.estate")
    priority = "emergency"
    response_minutes = 5
    resolution_minutes = 4 * 60
