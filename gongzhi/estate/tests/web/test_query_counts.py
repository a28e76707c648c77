"""Every page runs a constant number of queries whatever the number of rows: 30 rows cost what 3 cost."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.core.audit import audit_entry, audit_many
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    ParkingLotFactory,
    ParkingSpaceFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)

_serial = itertools.count(1)


def new_house(unit):
    """A house with a number no other test row uses (the factories' sequences repeat after a few dozen)."""
    return HouseFactory(unit=unit, number=f"9{next(_serial):03d}")


def grow_portal(estate, registry, n):
    for _ in range(n):
        ResidencyFactory(house=new_house(registry.unit), person=registry.owner, kind="owner")
    return registry.resident_user, reverse("estate:portal", args=[estate.pk])


def grow_my_house(estate, registry, n):
    for i in range(n):
        person = PersonFactory(estate=estate)
        ResidencyFactory(house=registry.house, person=person, kind="family", is_representative=False,
                         end_date=datetime.date(2021, 1, 1) if i % 2 else None)
        VehicleFactory(house=registry.house, person=person)
        ParkingSpaceFactory(lot=registry.space.lot, house=registry.house, holder=person, status="rented")
    return registry.resident_user, reverse("estate:my_house", args=[estate.pk, registry.house.pk])


def grow_console(estate, registry, n):
    for _ in range(n):
        UnitFactory(building=BuildingFactory(estate=estate, name=f"B{next(_serial)}"))
        ParkingSpaceFactory(lot=ParkingLotFactory(estate=estate))
    return "customer_service", reverse("estate:console", args=[estate.pk])


def grow_building(estate, registry, n):
    for _ in range(n):
        new_house(UnitFactory(building=registry.building, name=f"U{next(_serial)}"))
    return "customer_service", reverse("estate:building", args=[estate.pk, registry.building.pk])


def grow_unit(estate, registry, n):
    for _ in range(n):
        new_house(registry.unit)
    return "customer_service", reverse("estate:unit", args=[estate.pk, registry.unit.pk])


def grow_house(estate, registry, n):
    grow_my_house(estate, registry, n)
    return "customer_service", reverse("estate:house", args=[estate.pk, registry.house.pk])


def grow_person(estate, registry, n):
    for i in range(n):
        house = new_house(registry.unit)
        ResidencyFactory(house=house, person=registry.owner, end_date=datetime.date(2021, 1, 1) if i % 2 else None)
        VehicleFactory(house=house, person=registry.owner)
    return "customer_service", reverse("estate:person", args=[estate.pk, registry.owner.pk])


def grow_search(estate, registry, n):
    for _ in range(n):
        person = PersonFactory(estate=estate, name="张伟")
        VehicleFactory(house=registry.house, person=person)
    return "technician", reverse("estate:search", args=[estate.pk]) + "?q=张伟"


def grow_search_plates(estate, registry, n):
    VehicleFactory.create_batch(n, house=registry.house)
    return "customer_service", reverse("estate:search", args=[estate.pk]) + "?q=A0"


def grow_audit(estate, registry, n):
    audit_many([audit_entry(user=None, estate=estate, action="house.update", label=f"entry {i}",
                            before={"status": "vacant"}, after={"status": "occupied"}) for i in range(n)])
    return "manager", reverse("estate:audit", args=[estate.pk])


SCENARIOS = [grow_portal, grow_my_house, grow_console, grow_building, grow_unit, grow_house, grow_person,
             grow_search, grow_search_plates, grow_audit]


def count_queries(client, url) -> int:
    assert client.get(url).status_code == 200  # warm up: session, first-use caches
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("grow", SCENARIOS, ids=lambda f: f.__name__.removeprefix("grow_"))
def test_thirty_rows_cost_no_more_queries_than_three(estate, registry, member, browser_of,
                                                     django_assert_max_num_queries, grow):
    # given a page with 3 rows
    who, url = grow(estate, registry, 3)
    user = who if not isinstance(who, str) else member(who, estate)
    client = browser_of(user)
    with_three = count_queries(client, url)
    # when the same page has 30 rows
    grow(estate, registry, 27)
    # then it runs no more queries
    client.get(url)
    with django_assert_max_num_queries(with_three):
        response = client.get(url)
    assert response.status_code == 200
