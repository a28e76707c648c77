"""Meters (water, electricity, gas), their replacement, and meter readings (抄表): the only writers of ``Meter`` and
``MeterReading`` rows, and ``consumption``, the read the bill-run engine prices metered fees from.

A reading is validated against the meter's history: never lower than the reading before it (or the meter's
initial reading), never dated before the last reading, after today, before the meter was installed or after it was
removed, and never a jump larger than ``MAX_JUMP`` of its kind in one reading. The same reading entered again (same
meter, day and value) is taken once; another value on a day already read is a conflict: correct it with
``reading_correct`` while it is not billed.

A reading is *billed* once a ``BillLine.reading`` points at it (the bill run sets it); a reading is *locked* when it
or a later reading of the same house and meter kind is billed: correcting it would change what a bill was
computed from.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, Forbidden, NotFound, Reason

from .choices import METER_UNITS, MeterKind, ReadingSource
from .errors import invalid
from .models import BillLine, Meter, MeterReading
from .policies import MeterPolicy

ZERO = Decimal("0")
READING_STEP = Decimal("0.0001")
MAX_READING = Decimal("9999999999")  # the QUANTITY field holds 10 integer digits
# The largest believable consumption between two readings of one meter, by kind (a typo guard: 12345 for 1234.5):
# the estate's rule ``fees.reading_max_jump`` ({kind: amount}), these where it names no figure.
MAX_JUMP = {MeterKind.WATER: Decimal("200"), MeterKind.ELECTRICITY: Decimal("5000"), MeterKind.GAS: Decimal("500")}


def max_jump(meter: Meter) -> Decimal | None:
    configured = (meter.estate.rules().get("fees.reading_max_jump") or {}).get(str(meter.kind))
    return Decimal(str(configured)) if configured not in (None, "") else MAX_JUMP.get(MeterKind(meter.kind))
METER_FIELDS = ["house_id", "kind", "serial", "installed_on", "initial_reading", "removed_on", "final_reading",
                "replaces_id"]
READING_FIELDS = ["meter_id", "house_id", "read_on", "value", "source", "note"]


# --- consumption for the bill run ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeterSpan:
    """What one meter contributes: from ``from_value`` (its last reading billed before the period, or its initial
    reading: ``from_reading_id`` None) to ``to_value`` (its last reading within the period)."""

    meter_id: int
    serial: str
    from_value: Decimal
    from_on: datetime.date  # the day of the from reading, or the meter's installation day
    from_reading_id: int | None
    to_value: Decimal
    to_on: datetime.date
    to_reading_id: int

    @property
    def quantity(self) -> Decimal:
        return self.to_value - self.from_value


@dataclass(frozen=True)
class Consumption:
    """A house's consumption of one meter kind in a period, summed over its meters (an old meter replaced in the
    period and the new one). ``from_value``/``to_value`` are the first span's start and the last span's end (on
    different meters when one was replaced); ``quantity`` is the sum of the spans' differences, never the
    difference of those two. ``reading_id`` is the last reading used: the bill line points at it
    (``BillLine.reading``), which marks the house's readings up to it billed. ``reading_ids`` are every span's end
    reading (one per meter)."""

    house_id: int
    meter_kind: str
    unit: str
    quantity: Decimal
    from_value: Decimal
    to_value: Decimal
    reading_id: int
    reading_ids: tuple[int, ...]
    spans: tuple[MeterSpan, ...] = field(default=())


def consumption(*, estate, meter_kind: str, start: datetime.date, end: datetime.date) -> dict[int, Consumption]:
    """house id → ``Consumption`` of ``meter_kind`` over the period [start, end] (inclusive), for every house of the
    estate with at least one reading of that kind in the period. A house with no reading in the period is absent
    (no line: it is billed when it is next read, from where its last bill stopped).

    For each meter of the house that has a reading in the period (the old and the new one when a meter was replaced
    in the period):

    - ``to`` = its last reading with ``start <= read_on <= end`` (a replaced meter's final reading is a reading,
      source "replacement", on the day it was removed);
    - ``from`` = its last reading dated before ``start`` that is billed (``BillLine.reading`` points at it), else
      the meter's ``initial_reading`` (a new meter starts from it). Readings before the period that no bill took
      (entered after their run) are therefore billed with the next one, not lost.

    The house's quantity is the sum over its meters of ``to − from``, in meter order (installation day, then id).
    Two queries, whatever the number of houses: the meters with their billed base (a correlated subquery on the
    (meter, read_on) index) and the readings in the period (the (estate, read_on) index).
    """
    in_period = MeterReading.objects.filter(estate=estate, meter__kind=meter_kind, read_on__gte=start,
                                            read_on__lte=end)
    billed_base = (MeterReading.objects.filter(meter=OuterRef("pk"), read_on__lt=start)
                   .filter(Exists(BillLine.objects.filter(reading=OuterRef("pk"))))
                   .order_by("-read_on"))
    meters = (Meter.objects.filter(estate=estate, kind=meter_kind, pk__in=in_period.values("meter_id"))
              .annotate(base_id=Subquery(billed_base.values("id")[:1]),
                        base_value=Subquery(billed_base.values("value")[:1]),
                        base_on=Subquery(billed_base.values("read_on")[:1]))
              .order_by("house_id", "installed_on", "id")
              .values_list("id", "house_id", "serial", "installed_on", "initial_reading", "base_id", "base_value",
                           "base_on"))
    last: dict[int, tuple[int, datetime.date, Decimal]] = {}
    for reading_id, meter_id, read_on, value in in_period.order_by("meter_id", "read_on").values_list(
            "id", "meter_id", "read_on", "value"):
        last[meter_id] = (reading_id, read_on, value)
    spans: dict[int, list[MeterSpan]] = defaultdict(list)
    for meter_id, house_id, serial, installed_on, initial, base_id, base_value, base_on in meters:
        if meter_id not in last:
            continue
        to_id, to_on, to_value = last[meter_id]
        if base_id is None:
            base_value, base_on = initial, installed_on
        spans[house_id].append(MeterSpan(meter_id=meter_id, serial=serial, from_value=Decimal(base_value),
                                         from_on=_as_date(base_on), from_reading_id=base_id,
                                         to_value=Decimal(to_value), to_on=to_on, to_reading_id=to_id))
    unit = METER_UNITS.get(MeterKind(meter_kind), "")
    result: dict[int, Consumption] = {}
    for house_id, house_spans in spans.items():
        final = max(house_spans, key=lambda s: (s.to_on, s.to_reading_id))
        result[house_id] = Consumption(
            house_id=house_id, meter_kind=meter_kind, unit=unit,
            quantity=sum((s.quantity for s in house_spans), ZERO),
            from_value=house_spans[0].from_value, to_value=final.to_value, reading_id=final.to_reading_id,
            reading_ids=tuple(s.to_reading_id for s in house_spans), spans=tuple(house_spans))
    return result


def _as_date(value) -> datetime.date:
    if isinstance(value, str):  # SQLite hands an annotated date back as text
        return datetime.date.fromisoformat(value)
    return value


# --- reads for the pages and the API -----------------------------------------------------------------------------
def meter_list(*, actor: Actor, kind: str = "", house_id=None, current: bool | None = True,
               building_id=None) -> QuerySet:
    """The estate's meters the actor may see (finance, the manager, technicians), with their house."""
    qs = Meter.objects.restrict(actor, "view").select_related("house__building", "house__unit")
    if kind:
        qs = qs.filter(kind=kind)
    if house_id is not None:
        qs = qs.filter(house_id=house_id)
    if building_id is not None:
        qs = qs.filter(house__building_id=building_id)
    if current is True:
        qs = qs.filter(removed_on__isnull=True)
    elif current is False:
        qs = qs.filter(removed_on__isnull=False)
    return qs.order_by("house__building__name", "house__unit__name", "house__number", "kind", "id")


def with_last_reading(qs: QuerySet) -> QuerySet:
    """Meters annotated with their last reading (``last_value``, ``last_on``), one query."""
    latest = MeterReading.objects.filter(meter=OuterRef("pk")).order_by("-read_on")
    return qs.annotate(last_value=Subquery(latest.values("value")[:1]),
                       last_on=Subquery(latest.values("read_on")[:1]))


def meter_get_for_actor(*, actor: Actor, meter_id) -> Meter:
    """One meter; 404 alike for missing, another estate's, or an actor who may not see meters."""
    meter = (Meter.objects.restrict(actor, "view").select_related("house__building", "house__unit", "replaces")
             .filter(pk=meter_id).first())
    if meter is None:
        raise NotFound()
    return meter


def reading_list(*, actor: Actor, meter: Meter) -> QuerySet:
    """A meter's readings, newest first, each annotated ``billed`` (a bill line points at it)."""
    return (MeterReading.objects.restrict(actor, "view").filter(meter=meter)
            .annotate(billed=Exists(BillLine.objects.filter(reading=OuterRef("pk"))))
            .select_related("entered_by").order_by("-read_on", "-id"))


def reading_get_for_actor(*, actor: Actor, reading_id) -> MeterReading:
    reading = (MeterReading.objects.restrict(actor, "view").select_related("meter", "house")
               .filter(pk=reading_id).first())
    if reading is None:
        raise NotFound()
    return reading


def reading_locked(reading: MeterReading) -> bool:
    """Whether a bill was computed from this reading: it, or a later reading of the same house and meter kind
    (which started from it or from beyond it), is billed."""
    return BillLine.objects.filter(estate_id=reading.estate_id, reading__house_id=reading.house_id,
                                   reading__meter__kind=reading.meter.kind,
                                   reading__read_on__gte=reading.read_on).exists()


# --- validation --------------------------------------------------------------------------------------------------
def parse_reading(value, field: str = "value") -> Decimal:
    """A meter reading: a number ≥ 0 with at most four decimals."""
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("not a number")) from None
    if not number.is_finite():
        raise invalid(field, _("not a number"))
    if number < 0:
        raise invalid(field, _("may not be negative"))
    if number > MAX_READING:
        raise invalid(field, _("is larger than any meter shows"))
    if number != number.quantize(READING_STEP):
        raise invalid(field, _("at most four decimals"))
    return number.quantize(READING_STEP)


def parse_day(value, field: str = "read_on") -> datetime.date:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise invalid(field, _("not a date")) from None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise invalid(field, _("not a date"))
    if value > timezone.localdate():
        raise invalid(field, _("may not be in the future"))
    return value


def fmt(value: Decimal) -> str:
    """A reading as people write it: 1300.0, 1234.5, 12.25 (no trailing zeros beyond one decimal)."""
    text = f"{value.normalize():f}"
    return text if "." in text else text + ".0"


@dataclass
class Previous:
    """The reading a new one is checked against: the meter's last reading, or its initial reading."""

    value: Decimal
    on: datetime.date
    reading_id: int | None


def previous_of(meter: Meter, before: datetime.date | None = None) -> Previous:
    qs = MeterReading.objects.filter(meter=meter)
    if before is not None:
        qs = qs.filter(read_on__lt=before)
    row = qs.order_by("-read_on").values_list("id", "value", "read_on").first()
    if row is None:
        return Previous(value=meter.initial_reading, on=meter.installed_on, reading_id=None)
    return Previous(value=row[1], on=row[2], reading_id=row[0])


def reading_problem(meter: Meter, read_on: datetime.date, value: Decimal,
                    previous: Previous) -> tuple[str, object, dict] | None:
    """What is wrong with a reading of ``meter`` after ``previous``: (field "read_on" or "value", translatable
    reason, its placeholders), or None. Pure: the import checks a whole file with it before writing anything."""
    if read_on < meter.installed_on:
        return "read_on", _("before the meter was installed (%(day)s)"), {"day": meter.installed_on.isoformat()}
    if meter.removed_on is not None and read_on > meter.removed_on:
        return "read_on", _("after the meter was removed (%(day)s)"), {"day": meter.removed_on.isoformat()}
    if previous.reading_id is not None and read_on < previous.on:
        return "read_on", _("before the last reading, %(value)s on %(day)s"), {
            "value": fmt(previous.value), "day": previous.on.isoformat()}
    if value < previous.value:
        if previous.reading_id is None:
            return "value", _("reading %(value)s is lower than the meter's initial reading, %(last)s"), {
                "value": fmt(value), "last": fmt(previous.value)}
        return "value", _("reading %(value)s is lower than the last one, %(last)s on %(day)s"), {
            "value": fmt(value), "last": fmt(previous.value), "day": previous.on.isoformat()}
    limit = max_jump(meter)
    if limit is not None and value - previous.value > limit:
        return "value", _("reading %(value)s is %(jump)s %(unit)s more than the last one, %(last)s: more than "
                          "%(limit)s %(unit)s in one reading is not believable"), {
            "value": fmt(value), "jump": fmt(value - previous.value), "last": fmt(previous.value),
            "limit": fmt(limit), "unit": METER_UNITS.get(MeterKind(meter.kind), "")}
    return None


def check_reading(meter: Meter, read_on: datetime.date, value: Decimal, previous: Previous,
                  field: str = "value") -> None:
    """Refuse (400 ``invalid_field``, naming ``read_on`` or ``field``) a reading that cannot be right after
    ``previous`` (``reading_problem``)."""
    problem = reading_problem(meter, read_on, value, previous)
    if problem is not None:
        name, message, params = problem
        raise invalid(field if name == "value" else name, Reason(message, **params))


def _same_day_conflict(existing: MeterReading, value: Decimal) -> Conflict:
    return Conflict(_("The meter already has the reading %(value)s on %(day)s; correct that reading instead of "
                      "entering another."), code="reading_exists",
                    detail={"field": "value", "reading_id": existing.pk, "value": str(existing.value)},
                    value=fmt(existing.value), day=existing.read_on.isoformat())


# --- writes ------------------------------------------------------------------------------------------------------
def _check(actor: Actor, action: str) -> None:
    if not MeterPolicy.can(actor, action):
        raise Forbidden()


def _locked_meter(actor: Actor, meter) -> Meter:
    """The meter row locked (readings of one meter are checked one at a time); 404 for another estate's."""
    found = Meter.objects.select_for_update().filter(estate=actor.estate, pk=getattr(meter, "pk", meter)).first()
    if found is None:
        raise NotFound()
    return found


def _audit(actor: Actor, action: str, obj, fields, before=None) -> None:
    audit(user=actor.user, estate=actor.estate, action=f"billing.{action}", obj=obj, before=before,
          after=snapshot(obj, fields))


@transaction.atomic
def meter_install(*, actor: Actor, house, kind: str, installed_on, initial_reading, serial: str = "") -> Meter:
    """Install a meter of ``kind`` in ``house`` (finance, the manager). A house has one current meter per kind: a
    second is refused (409 ``meter_exists``: replace it instead). Installing the same meter again (same house,
    kind, serial and day) returns it."""
    _check(actor, "create")
    if house is None or house.estate_id != actor.estate.pk:
        raise invalid("house", _("no such house in this estate"))
    kind = (kind or "").strip()
    if kind not in MeterKind.values:
        raise invalid("kind", _("not one of the choices"))
    installed_on = parse_day(installed_on, "installed_on")
    initial = parse_reading(initial_reading, "initial_reading")
    serial = " ".join(str(serial or "").split())
    if len(serial) > 40:
        raise invalid("serial", Reason(_("is too long (at most %(max)s characters)"), max=40))
    current = Meter.objects.select_for_update().filter(estate=actor.estate, house=house, kind=kind,
                                                       removed_on__isnull=True).first()
    if current is not None:
        if (current.serial, current.installed_on, current.initial_reading) == (serial, installed_on, initial):
            return current
        raise Conflict(_("This house already has a %(kind)s meter (%(serial)s): replace it instead."),
                       code="meter_exists", detail={"meter_id": current.pk},
                       kind=MeterKind(kind).label, serial=current.serial or "—")
    try:
        with transaction.atomic():
            meter = Meter.objects.create(estate=actor.estate, house=house, kind=kind, serial=serial,
                                         installed_on=installed_on, initial_reading=initial)
    except IntegrityError:
        raise Conflict(_("This house already has a current meter of this kind."), code="meter_exists") from None
    _audit(actor, "meter_install", meter, METER_FIELDS)
    return meter


@transaction.atomic
def meter_replace(*, actor: Actor, meter, replaced_on, final_reading, initial_reading, serial: str = "") -> Meter:
    """Replace ``meter`` on ``replaced_on`` (finance, the manager): the old meter's final reading is recorded as a
    reading of that day (source "replacement", validated like any reading), the old meter is removed on that day
    and the new one installed on it with its ``initial_reading``. Consumption over the replacement is the sum over
    both meters (``consumption``). Replacing again with the same figures returns the same new meter."""
    _check(actor, "change")
    old = _locked_meter(actor, meter)
    day = parse_day(replaced_on, "replaced_on")
    final = parse_reading(final_reading, "final_reading")
    initial = parse_reading(initial_reading, "initial_reading")
    serial = " ".join(str(serial or "").split())
    if len(serial) > 40:
        raise invalid("serial", Reason(_("is too long (at most %(max)s characters)"), max=40))
    if old.removed_on is not None:
        successor = Meter.objects.filter(replaces=old).first()
        if (successor is not None and old.removed_on == day and old.final_reading == final
                and successor.initial_reading == initial and successor.serial == serial):
            return successor
        raise Conflict(_("This meter was already removed on %(day)s."), code="meter_removed",
                       detail={"meter_id": old.pk}, day=old.removed_on.isoformat())
    existing = MeterReading.objects.filter(meter=old, read_on=day).first()
    if existing is not None:
        if existing.value != final:
            raise _same_day_conflict(existing, final)
    else:
        check_reading(old, day, final, previous_of(old), field="final_reading")
        MeterReading.objects.create(estate=actor.estate, meter=old, house_id=old.house_id, read_on=day, value=final,
                                    source=ReadingSource.REPLACEMENT, entered_by=actor.user,
                                    note=str(_("Final reading of the replaced meter"))[:200])
    before = snapshot(old, METER_FIELDS)
    old.removed_on, old.final_reading = day, final
    old.save(update_fields=["removed_on", "final_reading"])
    _audit(actor, "meter_remove", old, METER_FIELDS, before)
    new = Meter.objects.create(estate=actor.estate, house_id=old.house_id, kind=old.kind, serial=serial,
                               installed_on=day, initial_reading=initial, replaces=old)
    _audit(actor, "meter_replace", new, METER_FIELDS)
    return new


@transaction.atomic
def reading_record(*, actor: Actor, meter, read_on, value, note: str = "",
                   source: str = ReadingSource.MANUAL) -> MeterReading:
    """Record a reading of ``meter`` on ``read_on`` (finance, the manager, technicians).

    Refused (400, naming the field): a day in the future, before the meter's installation or after its removal,
    before the last reading's day; a value lower than the last reading ("reading 1234.5 is lower than the last one,
    1300.0 on 2026-10-31") or more than ``MAX_JUMP`` above it. Idempotent on (meter, day, value): the same reading
    again returns the existing row; another value on a day already read is 409 ``reading_exists`` (use
    ``reading_correct``)."""
    _check(actor, "read")
    m = _locked_meter(actor, meter)
    day = parse_day(read_on)
    number = parse_reading(value)
    note = " ".join(str(note or "").split())[:200]
    existing = MeterReading.objects.filter(meter=m, read_on=day).first()
    if existing is not None:
        if existing.value == number:
            return existing
        raise _same_day_conflict(existing, number)
    check_reading(m, day, number, previous_of(m))
    reading = MeterReading.objects.create(estate=actor.estate, meter=m, house_id=m.house_id, read_on=day,
                                          value=number, source=source, note=note, entered_by=actor.user)
    _audit(actor, "reading_record", reading, READING_FIELDS)
    return reading


@transaction.atomic
def reading_correct(*, actor: Actor, reading, value, note: str = "") -> MeterReading:
    """Correct a reading's value (finance, the manager, technicians) while no bill was computed from it (409
    ``reading_billed`` otherwise: correct the bill with an adjustment). The new value must still lie between the
    reading before it and the one after it, and within ``MAX_JUMP`` of the one before. The old value stays in the
    audit record."""
    _check(actor, "read")
    found = MeterReading.objects.filter(estate=actor.estate, pk=getattr(reading, "pk", reading)).first()
    if found is None:
        raise NotFound()
    m = _locked_meter(actor, found.meter_id)
    found = MeterReading.objects.select_for_update().get(pk=found.pk)
    number = parse_reading(value)
    if reading_locked(found):
        raise Conflict(_("The reading of %(day)s is billed already: correct the bill with an adjustment instead."),
                       code="reading_billed", detail={"reading_id": found.pk}, day=found.read_on.isoformat())
    if number == found.value:
        return found
    check_reading(m, found.read_on, number, previous_of(m, before=found.read_on))
    following = (MeterReading.objects.filter(meter=m, read_on__gt=found.read_on).order_by("read_on")
                 .values_list("value", "read_on").first())
    if following is not None and number > following[0]:
        raise invalid("value", _("reading %(value)s is higher than the next one, %(next)s on %(day)s")
                      % {"value": fmt(number), "next": fmt(following[0]), "day": following[1].isoformat()})
    if m.removed_on is not None and found.read_on == m.removed_on:
        Meter.objects.filter(pk=m.pk).update(final_reading=number)
    before = snapshot(found, READING_FIELDS)
    found.value = number
    text = " ".join(str(note or "").split())
    if text:
        found.note = text[:200]
    found.save(update_fields=["value", "note"])
    _audit(actor, "reading_correct", found, READING_FIELDS, before)
    return found


def reading_sheet(*, actor: Actor, kind: str, building_id=None) -> QuerySet:
    """The current meters of ``kind`` (optionally of one building) with their last reading, for entering a round
    of readings house by house. One query."""
    return with_last_reading(meter_list(actor=actor, kind=kind, building_id=building_id, current=True))

