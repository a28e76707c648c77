"""Reads of the registry. Each takes the actor explicitly and returns only what the actor may see."""

from django.db.models import Count, Prefetch, Q, QuerySet

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.core.normalize import clean_compact, clean_text
from gongzhi.core.pagination import Page, paginate
from gongzhi.core.prepared import PreparedValues

from .models import Building, Estate, House, ParkingLot, ParkingSpace, Person, Residency, Unit, Vehicle
from .policies import HousePolicy, PersonPolicy, my_house_ids
from .validators import (
    BUILDING_SUFFIXES,
    NUMBER_SUFFIXES,
    PROVINCES,
    UNIT_SUFFIXES,
    InvalidValue,
    parse_house_ref,
    parse_mobile,
    parse_plate,
    strip_label,
)


def estates_of_user(*, user) -> QuerySet:
    if user.is_superuser:
        return Estate.objects.select_related("company").order_by("name")
    return (Estate.objects.filter(memberships__user=user, memberships__ended_at__isnull=True)
            .select_related("company").distinct().order_by("name"))


def building_list(*, actor: Actor) -> QuerySet:
    return (Building.objects.restrict(actor)
            .annotate(unit_count=Count("units", distinct=True), house_count=Count("houses", distinct=True))
            .order_by("sort_key", "name"))


def building_get(*, actor: Actor, building_id: int) -> Building:
    building = Building.objects.restrict(actor).filter(pk=building_id).first()
    if building is None:
        raise NotFound()
    return building


def unit_list(*, actor: Actor, building: Building) -> QuerySet:
    return (Unit.objects.restrict(actor).filter(building=building)
            .annotate(house_count=Count("houses")).order_by("sort_key", "name"))


def unit_get(*, actor: Actor, unit_id: int) -> Unit:
    unit = Unit.objects.restrict(actor).select_related("building").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def house_list(*, actor: Actor, building_id: int | None = None, unit_id: int | None = None,
               kind: str | None = None, status: str | None = None, q: str | None = None) -> QuerySet:
    qs = House.objects.restrict(actor).select_related("building", "unit")
    if building_id:
        qs = qs.filter(building_id=building_id)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(house_query(q))
    return qs


# The API reads registry rows as dicts of just the columns it shows (``values()``): on this ORM, building model
# instances with select_related of every column costs more than the database's own work (bench/README.md).
HOUSE_FIELDS = ("id", "building_id", "building__name", "unit_id", "unit__name", "number", "floor", "kind", "area_m2",
                "inner_area_m2", "area_source", "status", "developer_held")
PERSON_FIELDS = ("id", "name", "mobile", "id_type", "id_number", "user_id")
VEHICLE_FIELDS = ("id", "plate", "kind", "person_id", "person__name", "house_id", "house__building__name",
                  "house__unit__name", "house__number", "ended_at")
HOUSE_VEHICLE_FIELDS = ("id", "plate", "kind", "person_id", "person__name", "ended_at")
HOUSE_SPACE_FIELDS = ("id", "lot_id", "lot__name", "number", "kind", "status", "holder__name", "area_m2")
# A house's residencies with their persons, read through the house in the same query (one row per residency).
HOUSE_RESIDENCY_FIELDS = {
    "id": "residencies__id", "kind": "residencies__kind", "share": "residencies__share",
    "is_representative": "residencies__is_representative", "start_date": "residencies__start_date",
    "end_date": "residencies__end_date",
}
HOUSE_RESIDENT_FIELDS = {name: f"residencies__person__{name}" for name in PERSON_FIELDS}


def house_rows(*, actor: Actor, building_id: int | None = None, unit_id: int | None = None,
               kind: str | None = None, status: str | None = None, q: str | None = None) -> QuerySet:
    """house_list as dicts of HOUSE_FIELDS: what the API lists."""
    return house_list(actor=actor, building_id=building_id, unit_id=unit_id, kind=kind, status=status,
                      q=q).values(*HOUSE_FIELDS)


def house_query(text: str) -> Q:
    """A house as people write it: '3-2-1502', '3栋2单元1502', or just '1502'."""
    ref = parse_house_ref(text)
    if ref is not None:
        return Q(building__name=ref.building, unit__name=ref.unit, number=ref.number)
    return Q(number=strip_label(text, *NUMBER_SUFFIXES))


def house_get_for_actor(*, actor: Actor, house_id: int) -> House:
    residencies = Residency.objects.restrict(actor).select_related("person").order_by("end_date", "kind", "pk")
    house = (House.objects.restrict(actor).select_related("building", "unit")
             .prefetch_related(Prefetch("residencies", queryset=residencies),
                               Prefetch("vehicles", queryset=Vehicle.objects.filter(ended_at__isnull=True)
                                        .select_related("person")),
                               Prefetch("parking_spaces", queryset=ParkingSpace.objects.select_related("lot", "holder")))
             .filter(pk=house_id).first())
    if house is None:
        raise NotFound()
    return house


def house_detail_rows(*, actor: Actor, house_id: int) -> dict:
    """What house_get_for_actor and presenters.house_detail_data show, as dicts, in at most three queries: the
    house with its residencies and their persons (one row per residency, in house_get_for_actor's order), its
    current vehicles, its parking spaces. For those who may not see people (PersonPolicy), the house alone.
    Staff who see every house and person (the front desk's case) run the same queries prepared."""
    personal = PersonPolicy.can(actor, "view")
    prepared = HousePolicy.sees_every_house(actor) and PersonPolicy.sees_everyone(actor)
    if prepared:
        rows = _HOUSE_WITH_RESIDENTS(estate_id=actor.estate.pk, house_id=house_id)
    elif personal:
        rows = list(House.objects.restrict(actor).filter(pk=house_id).values(*HOUSE_WITH_RESIDENTS)
                    .order_by(*HOUSE_RESIDENTS_ORDER))
    else:
        rows = list(House.objects.restrict(actor).filter(pk=house_id).values(*HOUSE_FIELDS)[:1])
    if not rows:
        raise NotFound()
    if not personal:
        return {"house": rows[0], "residencies": [], "vehicles": [], "parking_spaces": []}
    residencies = [{**{k: r[c] for k, c in HOUSE_RESIDENCY_FIELDS.items()},
                    "person": {k: r[c] for k, c in HOUSE_RESIDENT_FIELDS.items()}}
                   for r in rows if r["residencies__id"] is not None]
    if not prepared:  # a resident: only the residencies ResidencyPolicy shows them
        shown = set(Residency.objects.restrict(actor).filter(house_id=house_id).values_list("id", flat=True))
        residencies = [r for r in residencies if r["id"] in shown]
    if prepared:
        vehicles, spaces = _HOUSE_VEHICLES(house_id=house_id), _HOUSE_SPACES(house_id=house_id)
    else:
        vehicles, spaces = list(_house_vehicles(house_id)), list(_house_spaces(house_id))
    return {"house": rows[0], "residencies": residencies, "vehicles": vehicles, "parking_spaces": spaces}


HOUSE_WITH_RESIDENTS = (*HOUSE_FIELDS, *HOUSE_RESIDENCY_FIELDS.values(), *HOUSE_RESIDENT_FIELDS.values())
HOUSE_RESIDENTS_ORDER = ("residencies__end_date", "residencies__kind", "residencies__pk")


def _house_vehicles(house_id):
    # In the database's order, as house_get_for_actor's prefetches (an ORDER BY costs ~100 µs of ORM here).
    return Vehicle.objects.filter(house_id=house_id, ended_at__isnull=True).values(*HOUSE_VEHICLE_FIELDS)


def _house_spaces(house_id):
    return ParkingSpace.objects.filter(house_id=house_id).values(*HOUSE_SPACE_FIELDS)


_HOUSE_WITH_RESIDENTS = PreparedValues(
    lambda estate_id, house_id: House.objects.filter(estate_id=estate_id, pk=house_id)
    .values(*HOUSE_WITH_RESIDENTS).order_by(*HOUSE_RESIDENTS_ORDER), "estate_id", "house_id")
_HOUSE_VEHICLES = PreparedValues(_house_vehicles, "house_id")
_HOUSE_SPACES = PreparedValues(_house_spaces, "house_id")
_HOUSE_BY_REF = PreparedValues(
    lambda estate_id, building, unit, number: House.objects.filter(
        estate_id=estate_id, building__name=building, unit__name=unit, number=number).values(*HOUSE_FIELDS),
    "estate_id", "building", "unit", "number")


def house_page(*, actor: Actor, building_id: int | None = None, unit_id: int | None = None,
               kind: str | None = None, status: str | None = None, q: str | None = None,
               cursor: str | None = None, limit: int | None = None) -> Page:
    """The API's house list: house_rows, paginated. A house reference alone ('3-2-1502') names at most one house
    (a number is unique in its unit), which staff who see every house look up with a prepared query."""
    ref = parse_house_ref(q) if q else None
    if ref and not (building_id or unit_id or kind or status or cursor) and HousePolicy.sees_every_house(actor):
        return Page(items=_houses_by_ref(actor, ref), next_cursor=None)
    qs = house_rows(actor=actor, building_id=building_id, unit_id=unit_id, kind=kind, status=status, q=q)
    return paginate(qs, cursor=cursor, limit=limit)


def _houses_by_ref(actor: Actor, ref) -> list[dict]:
    return _HOUSE_BY_REF(estate_id=actor.estate.pk, building=ref.building, unit=ref.unit, number=ref.number)


def house_by_ref(*, actor: Actor, building: str, unit: str, number: str) -> House | None:
    return (House.objects.restrict(actor).select_related("building", "unit")
            .filter(building__name=strip_label(building, *BUILDING_SUFFIXES),
                    unit__name=strip_label(unit, *UNIT_SUFFIXES), number=strip_label(number, *NUMBER_SUFFIXES))
            .first())


def my_houses(*, actor: Actor) -> QuerySet:
    """The resident portal's 'my houses': current residencies of the actor's own person records."""
    return (Residency.objects.current().filter(estate=actor.estate, person__user=actor.user)
            .select_related("house", "house__building", "house__unit", "person").order_by("house_id"))


def person_list(*, actor: Actor, q: str | None = None) -> QuerySet:
    qs = Person.objects.restrict(actor)
    if q:
        qs = qs.filter(person_query(q))
    return qs


def could_be_person(text: str) -> bool:
    """A house as people write it ('3-2-1502', '3栋2单元1502') is not a name, nor the last digits of a mobile
    typed in groups ('1234-5678'); a whole mobile number that happens to look like one ('138-1234-1234') is still
    a mobile. Skipping the person search then saves a scan of the estate's persons (a suffix match uses no
    index)."""
    if parse_house_ref(text) is None:
        return True
    try:
        parse_mobile(text)
    except InvalidValue:
        return False
    return True


def person_query(text: str) -> Q:
    """A whole mobile number however it is typed ('138 1234 1234', '+86 138-1234-1234'), its last digits (4 or
    more), or part of a name."""
    try:
        return Q(mobile=parse_mobile(text))
    except InvalidValue:
        pass
    digits = clean_compact(text).replace("-", "")
    if digits.isdigit() and len(digits) >= 4:
        return Q(mobile__endswith=digits)
    return Q(name__contains=clean_text(text))


def person_get_for_actor(*, actor: Actor, person_id: int) -> Person:
    """A person with their residencies and current vehicles. A resident looking at someone of their household
    sees that person's ties to the resident's own houses only, never their other houses or cars elsewhere in the
    estate (PIPL art. 6: no more than necessary); their own record they see whole."""
    residencies = Residency.objects.select_related("house", "house__building", "house__unit")
    vehicles = Vehicle.objects.filter(ended_at__isnull=True).select_related("person", "house__building",
                                                                             "house__unit")
    if not PersonPolicy.sees_everyone(actor):
        mine = my_house_ids(actor)
        residencies = residencies.filter(Q(house_id__in=mine) | Q(person__user=actor.user))
        vehicles = vehicles.filter(Q(house_id__in=mine) | Q(person__user=actor.user))
    person = (Person.objects.restrict(actor)
              .prefetch_related(Prefetch("residencies", queryset=residencies.order_by("end_date", "pk")),
                                Prefetch("vehicles", queryset=vehicles))
              .filter(pk=person_id).first())
    if person is None:
        raise NotFound()
    return person


def vehicle_list(*, actor: Actor, q: str | None = None, include_ended: bool = False) -> QuerySet:
    qs = Vehicle.objects.restrict(actor).select_related("person", "house", "house__building", "house__unit")
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    if q:
        fragment = plate_fragment(q)
        if not could_be_in_plate(fragment):
            return qs.none()
        qs = qs.filter(plate__contains=fragment)
    return qs


# The characters a canonical plate is made of (validators._ORDINARY / _NEW_ENERGY).
PLATE_CHARACTERS = frozenset(PROVINCES + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789挂学警港澳领")


def could_be_in_plate(fragment: str) -> bool:
    """Every stored plate is canonical (parse_plate on every write path), so a fragment with any other character
    (e.g. the house '3-2-1502' typed into the search box) matches no plate and needs no query."""
    return PLATE_CHARACTERS.issuperset(fragment)


def plate_fragment(text: str) -> str:
    try:
        return parse_plate(text)[0]
    except InvalidValue:
        return "".join(text.split()).upper()


def vehicle_get_for_actor(*, actor: Actor, vehicle_id: int) -> Vehicle:
    vehicle = vehicle_list(actor=actor, include_ended=True).filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound()
    return vehicle


def residency_get_for_actor(*, actor: Actor, residency_id: int, action: str = "view") -> Residency:
    residency = (Residency.objects.restrict(actor, action).select_related("house", "person")
                 .filter(pk=residency_id).first())
    if residency is None:
        raise NotFound()
    return residency


def lot_list(*, actor: Actor) -> QuerySet:
    return (ParkingLot.objects.restrict(actor)
            .annotate(space_count=Count("spaces"), free_count=Count("spaces", filter=Q(spaces__status="free")))
            .order_by("name"))


def space_list(*, actor: Actor, lot_id: int | None = None, status: str | None = None) -> QuerySet:
    qs = ParkingSpace.objects.restrict(actor).select_related("lot", "holder", "house", "house__building",
                                                             "house__unit")
    if lot_id:
        qs = qs.filter(lot_id=lot_id)
    if status:
        qs = qs.filter(status=status)
    return qs


SEARCH_LIMIT = 20


def registry_search(*, actor: Actor, q: str) -> dict[str, list]:
    """One box for house numbers, names, mobiles and plates, as the front desk types them."""
    return _search(actor, q, houses=house_list, persons=lambda qs: qs, vehicles=lambda qs: qs, as_rows=False)


def registry_search_rows(*, actor: Actor, q: str) -> dict[str, list[dict]]:
    """registry_search as dicts (HOUSE_FIELDS, PERSON_FIELDS, VEHICLE_FIELDS): what the API shows."""
    return _search(actor, q, houses=house_rows, persons=lambda qs: qs.values(*PERSON_FIELDS),
                   vehicles=lambda qs: qs.values(*VEHICLE_FIELDS), as_rows=True)


def _search(actor: Actor, q: str, *, houses, persons, vehicles, as_rows: bool) -> dict[str, list]:
    """``as_rows``: the results are dicts, so a house reference can use the prepared lookup (ADR 0008)."""
    text = (q or "").strip()
    if not text:
        return {"houses": [], "persons": [], "vehicles": []}
    ref = parse_house_ref(text)
    if as_rows and ref is not None and HousePolicy.sees_every_house(actor):
        found_houses = _houses_by_ref(actor, ref)
    else:
        found_houses = list(houses(actor=actor, q=text).order_by("pk")[:SEARCH_LIMIT])
    found = {"houses": found_houses, "persons": [], "vehicles": []}
    if could_be_person(text):
        found["persons"] = list(persons(person_list(actor=actor, q=text).order_by("pk"))[:SEARCH_LIMIT])
    if len(text) >= 3 and not text.isdigit() and could_be_in_plate(plate_fragment(text)):
        found["vehicles"] = list(vehicles(vehicle_list(actor=actor, q=text).order_by("pk"))[:SEARCH_LIMIT])
    return found
