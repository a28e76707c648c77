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
    return _shown_mobile(actor, person.mobile, person.user_id)


def shown_id_number(actor: Actor, person: Person) -> str:
    return _shown_id_number(actor, person.id_number, person.user_id)


def _shown_mobile(actor: Actor, mobile: str, user_id: int | None) -> str:
    if not mobile:
        return ""
    own = user_id is not None and user_id == actor.user_id
    return mobile if own or PersonPolicy.sees_full_mobile(actor) else mask_mobile(mobile)


def _shown_id_number(actor: Actor, id_number: str, user_id: int | None) -> str:
    own = user_id is not None and user_id == actor.user_id
    return id_number if own or PersonPolicy.sees_full_id_number(actor) else mask_id_number(id_number)


def person_data(actor: Actor, person: Person) -> dict:
    return {"id": person.pk, "name": person.name, "mobile": shown_mobile(actor, person), "id_type": person.id_type,
            "id_number": shown_id_number(actor, person), "has_login": person.user_id is not None}


# The same shapes from the dicts of selectors.HOUSE_FIELDS, PERSON_FIELDS, VEHICLE_FIELDS (the API's reads).
def house_row_code(building: str, unit: str, number: str) -> str:
    """House.code from its parts."""
    return f"{building}-{unit}-{number}"


def house_row_data(row: dict) -> dict:
    return {
        "id": row["id"], "code": house_row_code(row["building__name"], row["unit__name"], row["number"]),
        "building_id": row["building_id"], "building": row["building__name"], "unit_id": row["unit_id"],
        "unit": row["unit__name"], "number": row["number"], "floor": row["floor"], "kind": row["kind"],
        "area_m2": row["area_m2"], "inner_area_m2": row["inner_area_m2"], "area_source": row["area_source"],
        "status": row["status"], "developer_held": row["developer_held"],
    }


def person_row_data(actor: Actor, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "mobile": _shown_mobile(actor, row["mobile"], row["user_id"]),
            "id_type": row["id_type"], "id_number": _shown_id_number(actor, row["id_number"], row["user_id"]),
            "has_login": row["user_id"] is not None}


def vehicle_row_data(row: dict) -> dict:
    code = (house_row_code(row["house__building__name"], row["house__unit__name"], row["house__number"])
            if row["house_id"] is not None else None)
    return {"id": row["id"], "plate": row["plate"], "kind": row["kind"], "person_id": row["person_id"],
            "person_name": row["person__name"] if row["person_id"] is not None else None,
            "house_id": row["house_id"], "house_code": code, "ended_at": row["ended_at"]}


def house_detail_row_data(actor: Actor, found: dict) -> dict:
    """house_detail_data from selectors.house_detail_rows (which reads no people for those who may not see
    them)."""
    house = house_row_data(found["house"])
    house_id, code = house["id"], house["code"]
    today = timezone.localdate()
    return {
        **house,
        "residencies": [{
            "id": r["id"], "house_id": house_id, "house_code": code, "person": person_row_data(actor, r["person"]),
            "kind": r["kind"], "share": r["share"], "is_representative": r["is_representative"],
            "start_date": r["start_date"], "end_date": r["end_date"],
            "current": (r["start_date"] is None or r["start_date"] <= today)
            and (r["end_date"] is None or r["end_date"] >= today),
        } for r in found["residencies"]],
        "vehicles": [{"id": v["id"], "plate": v["plate"], "kind": v["kind"], "person_id": v["person_id"],
                      "person_name": v["person__name"] if v["person_id"] is not None else None,
                      "house_id": house_id, "house_code": code, "ended_at": v["ended_at"]}
                     for v in found["vehicles"]],
        "parking_spaces": [{"id": s["id"], "lot_id": s["lot_id"], "lot": s["lot__name"], "number": s["number"],
                            "kind": s["kind"], "status": s["status"], "holder_name": s["holder__name"],
                            "house_code": code, "area_m2": s["area_m2"]} for s in found["parking_spaces"]],
    }


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
