"""The registry API: estates, buildings, houses, persons, residencies, vehicles, parking, search."""

from ninja import Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import selectors, services
from ..presenters import (
    house_detail_data,
    house_detail_row_data,
    house_row_data,
    person_data,
    person_detail_data,
    person_row_data,
    residency_data,
    space_data,
    vehicle_data,
    vehicle_row_data,
)
from .schemas import (
    BuildingDetailOut,
    BuildingOut,
    EstateDetailOut,
    EstateOut,
    HouseDetailOut,
    HouseIn,
    HousePage,
    HousePatch,
    LotOut,
    OwnerChangeIn,
    PersonDetailOut,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    ResidencyEndIn,
    ResidencyIn,
    ResidencyOut,
    SearchOut,
    SpacePage,
    VehicleIn,
    VehicleOut,
    VehiclePage,
)

router = Router(tags=["registry"])


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


class HouseFilters(PageQuery):
    building_id: int | None = None
    unit_id: int | None = None
    kind: str | None = None
    status: str | None = None
    q: str | None = None


def _estate_out(estate, roles) -> dict:
    return {"id": estate.pk, "name": estate.name, "company": estate.company.name, "address": estate.address,
            "city_code": estate.city_code, "jurisdiction": estate.jurisdiction, "roles": sorted(roles)}


@router.get("/estates", response=list[EstateOut], summary="The estates I belong to")
def estates(request):
    from gongzhi.accounts.selectors import memberships_of

    roles: dict[int, set] = {}
    for m in memberships_of(user=request.auth):
        roles.setdefault(m.estate_id, set()).add(m.role)
    token = getattr(request, "api_token", None)
    return [_estate_out(e, roles.get(e.pk, set())) for e in selectors.estates_of_user(user=request.auth)
            if token is None or e.pk in token.estate_ids]


@router.get("/estates/{estate_id}", response=EstateDetailOut, summary="An estate and the rule set in force")
def estate_detail(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return {**_estate_out(actor.estate, actor.roles), "rules": actor.estate.rules()}


@router.get("/estates/{estate_id}/buildings", response=list[BuildingOut], summary="Buildings")
def buildings(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return list(selectors.building_list(actor=actor))


@router.get("/estates/{estate_id}/buildings/{building_id}", response=BuildingDetailOut,
            summary="A building and its units")
def building_detail(request, estate_id: int, building_id: int):
    actor = api_actor(request, estate_id)
    building = selectors.building_get(actor=actor, building_id=building_id)
    return {"id": building.pk, "name": building.name, "floors": building.floors,
            "units": list(selectors.unit_list(actor=actor, building=building))}


@router.get("/estates/{estate_id}/houses", response=HousePage, summary="Houses, filtered and paginated")
def houses(request, estate_id: int, filters: Query[HouseFilters]):
    """``q`` takes a house as people write it: ``3-2-1502``, ``3栋2单元1502`` or just ``1502``."""
    actor = api_actor(request, estate_id)
    page = selectors.house_page(actor=actor, building_id=filters.building_id, unit_id=filters.unit_id,
                                kind=filters.kind, status=filters.status, q=filters.q, cursor=filters.cursor,
                                limit=filters.limit)
    return {"items": [house_row_data(h) for h in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/houses", response={201: HouseDetailOut}, summary="Add a house")
def house_create(request, estate_id: int, payload: HouseIn):
    actor = api_actor(request, estate_id)
    house = services.house_create(actor=actor, **payload.dict())
    return Status(201, house_detail_data(actor, selectors.house_get_for_actor(actor=actor, house_id=house.pk)))


@router.get("/estates/{estate_id}/houses/{house_id}", response=HouseDetailOut,
            summary="A house with its people (current and past), vehicles and parking spaces")
def house_detail(request, estate_id: int, house_id: int):
    actor = api_actor(request, estate_id)
    return house_detail_row_data(actor, selectors.house_detail_rows(actor=actor, house_id=house_id))


@router.patch("/estates/{estate_id}/houses/{house_id}", response=HouseDetailOut, summary="Correct a house")
def house_update(request, estate_id: int, house_id: int, payload: HousePatch):
    actor = api_actor(request, estate_id)
    services.house_update(actor=actor, house_id=house_id, **payload.dict(exclude_unset=True))
    return house_detail_data(actor, selectors.house_get_for_actor(actor=actor, house_id=house_id))


@router.post("/estates/{estate_id}/houses/{house_id}/owner-change", response=HouseDetailOut,
             summary="Record a change of owner (sale); the previous owners stay in the history")
def house_change_owner(request, estate_id: int, house_id: int, payload: OwnerChangeIn):
    actor = api_actor(request, estate_id)
    services.house_change_owner(actor=actor, house_id=house_id, new_owner_ids=payload.new_owner_ids, on=payload.on)
    return house_detail_data(actor, selectors.house_get_for_actor(actor=actor, house_id=house_id))


@router.get("/estates/{estate_id}/persons", response=PersonPage, summary="Persons, by name or mobile")
def persons(request, estate_id: int, page: Query[PageQuery], q: str | None = None):
    actor = api_actor(request, estate_id)
    result = paginate(selectors.person_list(actor=actor, q=q), cursor=page.cursor, limit=page.limit)
    return {"items": [person_data(actor, p) for p in result.items], "next_cursor": result.next_cursor}


@router.post("/estates/{estate_id}/persons", response={201: PersonOut}, summary="Register a person")
def person_create(request, estate_id: int, payload: PersonIn):
    actor = api_actor(request, estate_id)
    return Status(201, person_data(actor, services.person_create(actor=actor, **payload.dict())))


@router.get("/estates/{estate_id}/persons/{person_id}", response=PersonDetailOut,
            summary="A person with their houses and vehicles")
def person_detail(request, estate_id: int, person_id: int):
    actor = api_actor(request, estate_id)
    return person_detail_data(actor, selectors.person_get_for_actor(actor=actor, person_id=person_id))


@router.patch("/estates/{estate_id}/persons/{person_id}", response=PersonOut, summary="Correct a person")
def person_update(request, estate_id: int, person_id: int, payload: PersonPatch):
    actor = api_actor(request, estate_id)
    person = services.person_update(actor=actor, person_id=person_id, **payload.dict(exclude_unset=True))
    return person_data(actor, person)


@router.post("/estates/{estate_id}/residencies", response={201: ResidencyOut},
             summary="Register someone in a house (owner, co-owner, family member, tenant)")
def residency_add(request, estate_id: int, payload: ResidencyIn):
    actor = api_actor(request, estate_id)
    residency = services.residency_add(actor=actor, **payload.dict())
    return Status(201, residency_data(actor, selectors.residency_get_for_actor(actor=actor, residency_id=residency.pk)))


@router.post("/estates/{estate_id}/residencies/{residency_id}/end", response=ResidencyOut,
             summary="Move out: end a residency (kept in the history)")
def residency_end(request, estate_id: int, residency_id: int, payload: ResidencyEndIn):
    actor = api_actor(request, estate_id)
    services.residency_end(actor=actor, residency_id=residency_id, end_date=payload.end_date)
    return residency_data(actor, selectors.residency_get_for_actor(actor=actor, residency_id=residency_id))


@router.get("/estates/{estate_id}/vehicles", response=VehiclePage, summary="Registered vehicles")
def vehicles(request, estate_id: int, page: Query[PageQuery], q: str | None = None):
    actor = api_actor(request, estate_id)
    result = paginate(selectors.vehicle_list(actor=actor, q=q), cursor=page.cursor, limit=page.limit)
    return {"items": [vehicle_data(v) for v in result.items], "next_cursor": result.next_cursor}


@router.post("/estates/{estate_id}/vehicles", response={201: VehicleOut}, summary="Register a vehicle")
def vehicle_register(request, estate_id: int, payload: VehicleIn):
    actor = api_actor(request, estate_id)
    vehicle = services.vehicle_register(actor=actor, **payload.dict())
    return Status(201, vehicle_data(selectors.vehicle_get_for_actor(actor=actor, vehicle_id=vehicle.pk)))


@router.get("/estates/{estate_id}/vehicles/{vehicle_id}", response=VehicleOut, summary="A vehicle")
def vehicle_detail(request, estate_id: int, vehicle_id: int):
    actor = api_actor(request, estate_id)
    return vehicle_data(selectors.vehicle_get_for_actor(actor=actor, vehicle_id=vehicle_id))


@router.post("/estates/{estate_id}/vehicles/{vehicle_id}/deregister", response=VehicleOut,
             summary="Deregister a vehicle (kept in the history)")
def vehicle_deregister(request, estate_id: int, vehicle_id: int):
    actor = api_actor(request, estate_id)
    services.vehicle_deregister(actor=actor, vehicle_id=vehicle_id)
    return vehicle_data(selectors.vehicle_get_for_actor(actor=actor, vehicle_id=vehicle_id))


@router.get("/estates/{estate_id}/parking-lots", response=list[LotOut], summary="Parking lots with free counts")
def parking_lots(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return list(selectors.lot_list(actor=actor))


@router.get("/estates/{estate_id}/parking-spaces", response=SpacePage, summary="Parking spaces")
def parking_spaces(request, estate_id: int, page: Query[PageQuery], lot_id: int | None = None,
                   status: str | None = None):
    actor = api_actor(request, estate_id)
    result = paginate(selectors.space_list(actor=actor, lot_id=lot_id, status=status), cursor=page.cursor,
                      limit=page.limit)
    return {"items": [space_data(s) for s in result.items], "next_cursor": result.next_cursor}


@router.get("/estates/{estate_id}/search", response=SearchOut,
            summary="Search by house number, name, mobile or plate")
def search(request, estate_id: int, q: str):
    actor = api_actor(request, estate_id)
    found = selectors.registry_search_rows(actor=actor, q=q)
    return {"houses": [house_row_data(h) for h in found["houses"]],
            "persons": [person_row_data(actor, p) for p in found["persons"]],
            "vehicles": [vehicle_row_data(v) for v in found["vehicles"]]}
