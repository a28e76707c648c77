"""Writes to the registry. Each is atomic, checks the policy, validates, and writes its audit record."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.normalize import clean_text

from .choices import OWNER_KINDS, AreaSource, HouseKind, HouseStatus, IdType, ResidencyKind
from .models import Building, House, Person, Residency, Unit, Vehicle
from .policies import HousePolicy, PersonPolicy, RegistryPolicy
from .validators import (
    BUILDING_SUFFIXES,
    NUMBER_SUFFIXES,
    UNIT_SUFFIXES,
    InvalidValue,
    parse_id_number,
    parse_mobile,
    parse_plate,
    strip_label,
)

HOUSE_FIELDS = ["building_id", "unit_id", "number", "floor", "kind", "area_m2", "inner_area_m2", "area_source",
                "status", "developer_held"]
PERSON_FIELDS = ["name", "mobile", "id_type", "id_number", "user_id"]


def _require(policy, actor: Actor, action: str) -> None:
    if not policy.can(actor, action):
        raise Forbidden()


def _invalid(field: str, reason) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field},
                       field=field, reason=reason)


def parse_area(value: Any, field: str = "area_m2") -> Decimal:
    try:
        area = Decimal(clean_text(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("not a number")) from None
    if not area.is_finite() or area <= 0:
        raise _invalid(field, _("must be greater than 0"))
    if area >= Decimal("100000000"):
        raise _invalid(field, _("is too large"))
    return area


def sort_key(name: str) -> int:
    """Buildings and units sort by number where they have one (2 before 10), else after all numbered ones."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits[:9]) if digits else 10**9


@transaction.atomic
def building_ensure(*, actor: Actor, name: str, floors: int | None = None) -> Building:
    _require(RegistryPolicy, actor, "change")
    name = strip_label(name, *BUILDING_SUFFIXES)
    if not name:
        raise _invalid("building", _("is required"))
    building, created = Building.objects.get_or_create(estate=actor.estate, name=name,
                                                       defaults={"sort_key": sort_key(name), "floors": floors})
    if created:
        audit(user=actor.user, estate=actor.estate, action="building.create", obj=building, after=snapshot(building))
    return building


@transaction.atomic
def unit_ensure(*, actor: Actor, building: Building, name: str, floors: int | None = None,
                has_elevator: bool = False) -> Unit:
    _require(RegistryPolicy, actor, "change")
    name = strip_label(name, *UNIT_SUFFIXES)
    if not name:
        raise _invalid("unit", _("is required"))
    unit, created = Unit.objects.get_or_create(
        estate=actor.estate, building=building, name=name,
        defaults={"sort_key": sort_key(name), "floors": floors, "has_elevator": has_elevator})
    if created:
        audit(user=actor.user, estate=actor.estate, action="unit.create", obj=unit, after=snapshot(unit))
    return unit


def _house_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "number" in data:
        values["number"] = strip_label(data["number"], *NUMBER_SUFFIXES)
        if not values["number"]:
            raise _invalid("number", _("is required"))
    if "area_m2" in data:
        values["area_m2"] = parse_area(data["area_m2"])
    if data.get("inner_area_m2") not in (None, ""):
        values["inner_area_m2"] = parse_area(data["inner_area_m2"], "inner_area_m2")
    for field, choices in (("kind", HouseKind), ("area_source", AreaSource), ("status", HouseStatus)):
        if field in data and data[field] is not None:
            if data[field] not in choices.values:
                raise _invalid(field, _("is not one of the allowed values"))
            values[field] = data[field]
    if "floor" in data:
        values["floor"] = data["floor"]
    if "developer_held" in data and data["developer_held"] is not None:
        values["developer_held"] = bool(data["developer_held"])
    if values.get("inner_area_m2") and values.get("area_m2") and values["inner_area_m2"] > values["area_m2"]:
        raise _invalid("inner_area_m2", _("cannot exceed the building area"))
    return values


@transaction.atomic
def house_create(*, actor: Actor, building: str, unit: str, **data: Any) -> House:
    _require(HousePolicy, actor, "change")
    if "area_m2" not in data:
        raise _invalid("area_m2", _("is required"))
    values = _house_values(data)
    b = building_ensure(actor=actor, name=building)
    u = unit_ensure(actor=actor, building=b, name=unit)
    if House.objects.filter(unit=u, number=values["number"]).exists():
        raise Conflict(_("House %(house)s already exists."), code="house_exists",
                       house=f"{b.name}-{u.name}-{values['number']}")
    house = House.objects.create(estate=actor.estate, building=b, unit=u, **values)
    audit(user=actor.user, estate=actor.estate, action="house.create", obj=house, after=snapshot(house, HOUSE_FIELDS))
    return house


@transaction.atomic
def house_update(*, actor: Actor, house_id: int, **data: Any) -> House:
    _require(HousePolicy, actor, "change")
    house = House.objects.select_for_update().filter(estate=actor.estate, pk=house_id).first()
    if house is None:
        raise NotFound()
    before = snapshot(house, HOUSE_FIELDS)
    values = _house_values({k: v for k, v in data.items() if v is not None})
    if "number" in values and House.objects.filter(unit_id=house.unit_id, number=values["number"]).exclude(
            pk=house.pk).exists():
        raise Conflict(_("Another house in this unit already has that number."), code="house_exists")
    for key, value in values.items():
        setattr(house, key, value)
    if house.inner_area_m2 and house.inner_area_m2 > house.area_m2:
        raise _invalid("inner_area_m2", _("cannot exceed the building area"))
    after = snapshot(house, HOUSE_FIELDS)
    if after != before:  # a correction that changes nothing writes nothing (not even updated_at)
        house.save()
        audit(user=actor.user, estate=actor.estate, action="house.update", obj=house, before=before, after=after)
    return house


def person_values(data: dict[str, Any]) -> dict[str, Any]:
    """Validated person fields: mobile and ID normalised, ID checksum checked (GB 11643)."""
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = clean_text(data["name"])[:60]
        if not values["name"]:
            raise _invalid("name", _("is required"))
    if data.get("mobile"):
        try:
            values["mobile"] = parse_mobile(data["mobile"])
        except InvalidValue as exc:
            raise _invalid("mobile", exc.reason) from None
    if data.get("id_number"):
        id_type = data.get("id_type") or IdType.RESIDENT_ID
        if id_type not in IdType.values:
            raise _invalid("id_type", _("is not one of the allowed values"))
        try:
            values["id_number"] = parse_id_number(data["id_number"], id_type)
        except InvalidValue as exc:
            raise _invalid("id_number", exc.reason) from None
        values["id_type"] = id_type
    return values


@transaction.atomic
def person_create(*, actor: Actor, **data: Any) -> Person:
    _require(PersonPolicy, actor, "change")
    values = person_values({"name": data.get("name", ""), **data})
    try:
        with transaction.atomic():
            person = Person.objects.create(estate=actor.estate, **values)
    except IntegrityError:
        raise Conflict(_("A person with this ID number is already registered."), code="person_exists") from None
    person_link_user(person)
    audit(user=actor.user, estate=actor.estate, action="person.create", obj=person,
          after=snapshot(person, PERSON_FIELDS))
    return person


def person_link_user(person: Person) -> None:
    """A registry person with a mobile number is linked to the login with that number, so the resident sees
    their own houses in the portal as soon as they sign in."""
    from gongzhi.accounts.models import User

    if person.mobile and person.user_id is None:
        user = User.objects.filter(phone=person.mobile).first()
        if user is not None:
            person.user = user
            person.save(update_fields=["user"])


@transaction.atomic
def person_update(*, actor: Actor, person_id: int, **data: Any) -> Person:
    _require(PersonPolicy, actor, "change")
    person = Person.objects.select_for_update().filter(estate=actor.estate, pk=person_id).first()
    if person is None:
        raise NotFound()
    before = snapshot(person, PERSON_FIELDS)
    values = person_values({k: v for k, v in data.items() if v is not None})
    for key, value in values.items():
        setattr(person, key, value)
    if person.mobile != before["mobile"]:
        # The login was linked by the old number: whoever holds that number must not keep seeing this household.
        person.user = None
    if snapshot(person, PERSON_FIELDS) == before:
        return person  # a correction that changes nothing writes nothing
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise Conflict(_("A person with this ID number is already registered."), code="person_exists") from None
    person_link_user(person)
    audit(user=actor.user, estate=actor.estate, action="person.update", obj=person, before=before,
          after=snapshot(person, PERSON_FIELDS))
    return person


def _parse_share(value: Any) -> Decimal:
    """A co-owner's fraction of the house: more than 0, at most 1, to 4 decimal places (0.3333)."""
    try:
        share = Decimal(clean_text(value))
    except (InvalidOperation, ValueError):
        raise _invalid("share", _("not a number")) from None
    if not share.is_finite() or not 0 < share <= 1:
        raise _invalid("share", _("must be more than 0 and at most 1"))
    if share != share.quantize(Decimal("0.0001")):
        raise _invalid("share", _("has more than 4 decimal places"))
    return share


def _check_shares(house: House) -> None:
    """Co-owners' shares of one house may not add up to more than the whole."""
    shares = [r.share for r in Residency.objects.filter(house=house, end_date__isnull=True, kind__in=OWNER_KINDS)
              if r.share is not None]
    if sum(shares, Decimal(0)) > 1:
        raise DomainError(_("The owners' shares of this house add up to more than 100 %."), code="shares_exceed")


@transaction.atomic
def residency_add(*, actor: Actor, house_id: int, person_id: int, kind: str, share: Decimal | None = None,
                  is_representative: bool = False, start_date: datetime.date | None = None) -> Residency:
    _require(PersonPolicy, actor, "change")
    house = House.objects.select_for_update().filter(estate=actor.estate, pk=house_id).first()
    person = Person.objects.filter(estate=actor.estate, pk=person_id).first()
    if house is None or person is None:
        raise NotFound()
    if kind not in ResidencyKind.values:
        raise _invalid("kind", _("is not one of the allowed values"))
    if share is not None and kind not in OWNER_KINDS:
        raise _invalid("share", _("only owners and co-owners hold a share"))
    if share is not None:
        share = _parse_share(share)
    if is_representative and kind not in OWNER_KINDS:
        raise _invalid("is_representative", _("the voting representative must be an owner of the house"))
    if Residency.objects.filter(house=house, person=person, kind=kind, end_date__isnull=True).exists():
        raise Conflict(_("This person is already registered in this house that way."), code="residency_exists")
    if is_representative:  # one voting representative per house: the new one replaces the old
        for previous in Residency.objects.filter(house=house, is_representative=True, end_date__isnull=True):
            previous.is_representative = False
            previous.save(update_fields=["is_representative"])
            audit(user=actor.user, estate=actor.estate, action="residency.update", obj=previous,
                  before={"is_representative": True}, after={"is_representative": False})
    residency = Residency.objects.create(estate=actor.estate, house=house, person=person, kind=kind, share=share,
                                         is_representative=is_representative,
                                         start_date=start_date or timezone.localdate())
    _check_shares(house)
    audit(user=actor.user, estate=actor.estate, action="residency.add", obj=residency,
          after=snapshot(residency, ["house_id", "person_id", "kind", "share", "is_representative", "start_date"]))
    return residency


@transaction.atomic
def residency_end(*, actor: Actor, residency_id: int, end_date: datetime.date | None = None) -> Residency:
    """Moving out or selling: the residency gets an end date and stays in the history."""
    _require(PersonPolicy, actor, "change")
    residency = Residency.objects.select_for_update().filter(estate=actor.estate, pk=residency_id).first()
    if residency is None:
        raise NotFound()
    if residency.end_date is not None:
        return residency  # already ended: retrying changes nothing
    end_date = end_date or timezone.localdate()
    if residency.start_date and end_date < residency.start_date:
        raise _invalid("end_date", _("cannot be before the start date"))
    before = snapshot(residency, ["end_date", "is_representative"])
    residency.end_date = end_date
    residency.is_representative = False
    residency.save(update_fields=["end_date", "is_representative"])
    audit(user=actor.user, estate=actor.estate, action="residency.end", obj=residency, before=before,
          after=snapshot(residency, ["end_date", "is_representative"]))
    return residency


@transaction.atomic
def house_change_owner(*, actor: Actor, house_id: int, new_owner_ids: list[int],
                       on: datetime.date | None = None) -> list[Residency]:
    """A sale: the current owners' residencies end the day before ``on``; the new owners' start on it.
    With several new owners they become co-owners, the first one the voting representative."""
    _require(PersonPolicy, actor, "change")
    if not new_owner_ids:
        raise _invalid("new_owner_ids", _("is required"))
    on = on or timezone.localdate()
    house = House.objects.select_for_update().filter(estate=actor.estate, pk=house_id).first()
    if house is None:
        raise NotFound()
    for residency in Residency.objects.filter(house=house, kind__in=OWNER_KINDS, end_date__isnull=True):
        residency_end(actor=actor, residency_id=residency.pk, end_date=max(on - datetime.timedelta(days=1),
                                                                           residency.start_date or on))
    owners = list(dict.fromkeys(new_owner_ids))  # a buyer named twice is one owner
    kind = ResidencyKind.OWNER if len(owners) == 1 else ResidencyKind.CO_OWNER
    created = [residency_add(actor=actor, house_id=house.pk, person_id=pid, kind=kind, is_representative=(i == 0),
                             start_date=on) for i, pid in enumerate(owners)]
    if house.developer_held:
        house_update(actor=actor, house_id=house.pk, developer_held=False)
    return created


@transaction.atomic
def vehicle_register(*, actor: Actor, plate: str, person_id: int | None = None,
                     house_id: int | None = None) -> Vehicle:
    _require(PersonPolicy, actor, "change")
    try:
        plate, kind = parse_plate(plate)
    except InvalidValue as exc:
        raise _invalid("plate", exc.reason) from None
    person = Person.objects.filter(estate=actor.estate, pk=person_id).first() if person_id else None
    house = House.objects.filter(estate=actor.estate, pk=house_id).first() if house_id else None
    if (person_id and person is None) or (house_id and house is None):
        raise NotFound()
    if Vehicle.objects.filter(estate=actor.estate, plate=plate, ended_at__isnull=True).exists():
        raise Conflict(_("Plate %(plate)s is already registered in this estate."), code="vehicle_exists",
                       plate=plate)
    vehicle = Vehicle.objects.create(estate=actor.estate, plate=plate, kind=kind, person=person, house=house)
    audit(user=actor.user, estate=actor.estate, action="vehicle.register", obj=vehicle,
          after=snapshot(vehicle, ["plate", "kind", "person_id", "house_id"]))
    return vehicle


@transaction.atomic
def vehicle_deregister(*, actor: Actor, vehicle_id: int) -> Vehicle:
    _require(PersonPolicy, actor, "change")
    vehicle = Vehicle.objects.select_for_update().filter(estate=actor.estate, pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound()
    if vehicle.ended_at is None:
        vehicle.ended_at = timezone.now()
        vehicle.save(update_fields=["ended_at"])
        audit(user=actor.user, estate=actor.estate, action="vehicle.deregister", obj=vehicle,
              after={"ended_at": vehicle.ended_at.isoformat()})
    return vehicle
