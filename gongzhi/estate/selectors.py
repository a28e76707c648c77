"""Reads of the registry. Each takes the actor explicitly and returns only what the actor may see."""

from django.db.models import Count, Prefetch, Q, QuerySet

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.core.normalize import clean_compact, clean_text

from .models import Building, Estate, House, ParkingLot, ParkingSpace, Person, Residency, Unit, Vehicle
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


def house_query(text: str) -> Q:
    """A house as people write it: '3-2-1502', '3栋2单元1502', or just '1502'."""
    ref = parse_house_ref(text)
    if ref is not None:
        return Q(building__name=ref.building, unit__name=ref.unit, number=ref.number)
    return Q(number=strip_label(text, *NUMBER_SUFFIXES))


def house_get_for_actor(*, actor: Actor, house_id: int) -> House:
    residencies = Residency.objects.select_related("person").order_by("end_date", "kind", "pk")
    house = (House.objects.restrict(actor).select_related("building", "unit")
             .prefetch_related(Prefetch("residencies", queryset=residencies),
                               Prefetch("vehicles", queryset=Vehicle.objects.filter(ended_at__isnull=True)
                                        .select_related("person")),
                               Prefetch("parking_spaces", queryset=ParkingSpace.objects.select_related("lot", "holder")))
             .filter(pk=house_id).first())
    if house is None:
        raise NotFound()
    return house


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
    person = (Person.objects.restrict(actor)
              .prefetch_related(Prefetch("residencies", queryset=Residency.objects
                                         .select_related("house", "house__building", "house__unit")
                                         .order_by("end_date", "pk")),
                                Prefetch("vehicles", queryset=Vehicle.objects.filter(ended_at__isnull=True)
                                         .select_related("person", "house__building", "house__unit")))
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
    text = (q or "").strip()
    if not text:
        return {"houses": [], "persons": [], "vehicles": []}
    houses = list(house_list(actor=actor, q=text).order_by("pk")[:SEARCH_LIMIT])
    persons = list(person_list(actor=actor, q=text).order_by("pk")[:SEARCH_LIMIT])
    vehicles = []
    if len(text) >= 3 and not text.isdigit() and could_be_in_plate(plate_fragment(text)):
        vehicles = list(vehicle_list(actor=actor, q=text).order_by("pk")[:SEARCH_LIMIT])
    return {"houses": houses, "persons": persons, "vehicles": vehicles}
