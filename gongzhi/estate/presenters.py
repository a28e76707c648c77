"""What the API and the pages show of registry objects, with personal data masked per the actor's role."""

from django.utils import timezone

from gongzhi.core.access import Actor
from gongzhi.core.masking import mask_id_number, mask_mobile

from .models import House, ParkingSpace, Person, Residency, Vehicle
from .policies import PersonPolicy


def house_data(house: House) -> dict:
    return {
        "id": house.pk, "code": house.code, "building_id": house.building_id, "building": house.building.name,
        "unit_id": house.unit_id, "unit": house.unit.name, "number": house.number, "floor": house.floor,
        "kind": house.kind, "area_m2": house.area_m2, "inner_area_m2": house.inner_area_m2,
        "area_source": house.area_source, "status": house.status, "developer_held": house.developer_held,
    }


def shown_mobile(actor: Actor, person: Person) -> str:
    if not person.mobile:
        return ""
    own = person.user_id is not None and person.user_id == actor.user_id
    return person.mobile if own or PersonPolicy.sees_full_mobile(actor) else mask_mobile(person.mobile)


def shown_id_number(actor: Actor, person: Person) -> str:
    own = person.user_id is not None and person.user_id == actor.user_id
    return person.id_number if own or PersonPolicy.sees_full_id_number(actor) else mask_id_number(person.id_number)


def person_data(actor: Actor, person: Person) -> dict:
    return {"id": person.pk, "name": person.name, "mobile": shown_mobile(actor, person), "id_type": person.id_type,
            "id_number": shown_id_number(actor, person), "has_login": person.user_id is not None}


def residency_data(actor: Actor, residency: Residency, *, house: House | None = None,
                   person: Person | None = None) -> dict:
    today = timezone.localdate()
    house = house or residency.house
    return {
        "id": residency.pk, "house_id": residency.house_id, "house_code": house.code,
        "person": person_data(actor, person or residency.person), "kind": residency.kind, "share": residency.share,
        "is_representative": residency.is_representative, "start_date": residency.start_date,
        "end_date": residency.end_date,
        "current": (residency.start_date is None or residency.start_date <= today)
        and (residency.end_date is None or residency.end_date >= today),
    }


def vehicle_data(vehicle: Vehicle, *, house: House | None = None) -> dict:
    house = house or vehicle.house
    return {"id": vehicle.pk, "plate": vehicle.plate, "kind": vehicle.kind, "person_id": vehicle.person_id,
            "person_name": vehicle.person.name if vehicle.person_id else None, "house_id": vehicle.house_id,
            "house_code": house.code if house else None, "ended_at": vehicle.ended_at}


def space_data(space: ParkingSpace, *, house: House | None = None) -> dict:
    house = house or space.house
    return {"id": space.pk, "lot_id": space.lot_id, "lot": space.lot.name, "number": space.number,
            "kind": space.kind, "status": space.status,
            "holder_name": space.holder.name if space.holder_id else None,
            "house_code": house.code if house else None, "area_m2": space.area_m2}


def house_detail_data(actor: Actor, house: House) -> dict:
    """People and vehicles only for those who may see personal data (the committee sees the house alone)."""
    personal = PersonPolicy.can(actor, "view")
    return {
        **house_data(house),
        "residencies": [residency_data(actor, r, house=house) for r in house.residencies.all()] if personal else [],
        "vehicles": [vehicle_data(v, house=house) for v in house.vehicles.all()] if personal else [],
        "parking_spaces": [space_data(s, house=house) for s in house.parking_spaces.all()] if personal else [],
    }


def person_detail_data(actor: Actor, person: Person) -> dict:
    return {
        **person_data(actor, person),
        "residencies": [residency_data(actor, r, person=person) for r in person.residencies.all()],
        "vehicles": [vehicle_data(v) for v in person.vehicles.all()],
    }
