"""Every list endpoint runs a constant number of queries whatever the number of rows (DESIGN.md habit 10).

Each story: given an estate with N rows of a kind, when its manager lists them through the API, then the number of
queries is the same for N = 3 and N = 30 (no N+1), and it stays within a small budget: the bearer token, the
caller's membership in the estate, then the data.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import token_create
from gongzhi.accounts.tests.factories import MembershipFactory
from gongzhi.core.audit import audit
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    EstateFactory,
    HouseFactory,
    ParkingLotFactory,
    ParkingSpaceFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)

# The bearer token with its user (1), the caller's memberships in the estate with the estate (1), then the rows:
# a list fetches them with their relations in one query.
DEFAULT_BUDGET = 3


@dataclass
class Ctx:
    estate: Any
    manager: Any
    building: Any = None
    lot: Any = None


def _house(ctx: Ctx, number: str = "1502"):
    unit = UnitFactory(building=BuildingFactory(estate=ctx.estate))
    house = HouseFactory(unit=unit, number=number)
    ResidencyFactory(house=house, person=PersonFactory(estate=ctx.estate))
    return house


def grow_houses(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        _house(ctx)


def grow_persons(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        ResidencyFactory(house=_house(ctx), person=PersonFactory(estate=ctx.estate), kind="family",
                         is_representative=False)


def grow_vehicles(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        house = _house(ctx)
        VehicleFactory(house=house, person=house.residencies.get().person)


def grow_spaces(ctx: Ctx, k: int) -> None:
    ctx.lot = ctx.lot or ParkingLotFactory(estate=ctx.estate)
    for _ in range(k):
        house = _house(ctx)
        ParkingSpaceFactory(lot=ctx.lot, house=house, holder=house.residencies.get().person, status="sold")


def grow_lots(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        ParkingSpaceFactory(lot=ParkingLotFactory(estate=ctx.estate))


def grow_buildings(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        _house(ctx)


def grow_units(ctx: Ctx, k: int) -> None:
    ctx.building = ctx.building or BuildingFactory(estate=ctx.estate)
    start = ctx.building.units.count()
    for i in range(k):
        HouseFactory(unit=UnitFactory(building=ctx.building, name=str(start + i + 1)))


def grow_memberships(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        MembershipFactory(estate=ctx.estate, role="customer_service")


def grow_audit(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        house = HouseFactory(unit=UnitFactory(building=BuildingFactory(estate=ctx.estate)))
        audit(user=ctx.manager, estate=ctx.estate, action="house.create", obj=house, after={"number": house.number})


def grow_search_hits(ctx: Ctx, k: int) -> None:
    """Houses numbered 1502 in different units, people whose mobile ends in 1502, vehicles with 京B0 plates."""
    for _ in range(k):
        house = _house(ctx, "1502")
        person = PersonFactory(estate=ctx.estate, mobile=f"135{PersonFactory._meta.next_sequence():04d}1502")
        VehicleFactory(house=house, person=person, plate=f"京B0{VehicleFactory._meta.next_sequence():04d}")


def grow_tokens(ctx: Ctx, k: int) -> None:
    for i in range(k):
        token_create(user=ctx.manager, name=f"app {i}", estate_ids=[ctx.estate.pk])


def grow_estates(ctx: Ctx, k: int) -> None:
    for _ in range(k):
        MembershipFactory(user=ctx.manager, estate=EstateFactory(), role="manager")


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # {e} is the estate, {b} the building
    grow: Any
    rows: Any  # body -> number of rows shown
    budget: int = DEFAULT_BUDGET


def _items(body) -> int:
    return len(body["items"])


ENDPOINTS = [
    Endpoint("houses", "/estates/{e}/houses", grow_houses, _items),
    Endpoint("houses filtered", "/estates/{e}/houses?kind=residential&status=occupied", grow_houses, _items),
    Endpoint("houses by number", "/estates/{e}/houses?q=1502", grow_houses, _items),
    Endpoint("persons", "/estates/{e}/persons", grow_persons, _items),
    Endpoint("vehicles", "/estates/{e}/vehicles", grow_vehicles, _items),
    Endpoint("parking-spaces", "/estates/{e}/parking-spaces", grow_spaces, _items),
    Endpoint("parking-lots", "/estates/{e}/parking-lots", grow_lots, len),
    Endpoint("buildings", "/estates/{e}/buildings", grow_buildings, len),
    # The building itself, then its units.
    Endpoint("building detail", "/estates/{e}/buildings/{b}", grow_units, lambda b: len(b["units"]),
             budget=DEFAULT_BUDGET + 1),
    Endpoint("memberships", "/estates/{e}/memberships", grow_memberships, len),
    Endpoint("audit", "/estates/{e}/audit", grow_audit, _items),
    # One query each for houses, persons and vehicles.
    Endpoint("search by number", "/estates/{e}/search?q=1502", grow_search_hits,
             lambda b: len(b["houses"]) + len(b["persons"]), budget=DEFAULT_BUDGET + 1),
    Endpoint("search by plate", "/estates/{e}/search?q=京B0", grow_search_hits, lambda b: len(b["vehicles"]),
             budget=DEFAULT_BUDGET + 2),
    # No estate in the path: the token (1) and the rows (for /estates, the caller's roles and the estates).
    Endpoint("tokens", "/tokens", grow_tokens, len, budget=2),
    Endpoint("estates", "/estates", grow_estates, len, budget=3),
    Endpoint("me", "/me", grow_estates, lambda b: len(b["memberships"]), budget=2),
]


def measure(ctx: Ctx, endpoint: Endpoint) -> tuple[int, int]:
    """(queries, rows shown) for one request by the manager, with a token for all of their estates."""
    estates = list(Membership.objects.filter(user=ctx.manager).values_list("estate_id", flat=True).distinct())
    _token, raw = token_create(user=ctx.manager, name="measure", estate_ids=estates)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = "/api/v1" + endpoint.path.format(e=ctx.estate.pk, b=ctx.building.pk if ctx.building else 0)
    client.get(url)  # the token's first use is recorded (a write, at most every five minutes): not part of a list
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), endpoint.rows(response.json())


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_list_runs_a_constant_number_of_queries(estate, member, endpoint):
    ctx = Ctx(estate=estate, manager=member("manager", estate))
    endpoint.grow(ctx, 3)
    few, shown_few = measure(ctx, endpoint)
    endpoint.grow(ctx, 27)
    many, shown_many = measure(ctx, endpoint)

    assert shown_many > shown_few >= 3, "the rows were not all listed, so the comparison would prove nothing"
    assert many == few, f"{endpoint.name}: {few} queries for {shown_few} rows but {many} for {shown_many}"
    assert many <= endpoint.budget, f"{endpoint.name}: {many} queries, the budget is {endpoint.budget}"
