"""One search box for the front desk: a house as people write it, a name, a mobile (whole or last 4), a plate."""

import pytest

from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)


@pytest.fixture
def registry(estate, other_estate):
    unit = UnitFactory(building=BuildingFactory(estate=estate, name="3"), name="2")
    house = HouseFactory(unit=unit, number="1502")
    HouseFactory(unit=unit, number="1501")
    HouseFactory(unit=UnitFactory(building=unit.building, name="1"), number="1502")
    owner = PersonFactory(estate=estate, name="张伟", mobile="13812341234")
    ResidencyFactory(house=house, person=owner)
    PersonFactory(estate=estate, name="李娜", mobile="13955556666")
    VehicleFactory(house=house, person=owner, plate="京A12345")
    # The same things in another estate must never be found.
    other_unit = UnitFactory(building=BuildingFactory(estate=other_estate, name="3"), name="2")
    other_house = HouseFactory(unit=other_unit, number="1502")
    ResidencyFactory(house=other_house, person=PersonFactory(estate=other_estate, name="张伟", mobile="13812341234"))
    VehicleFactory(house=other_house, plate="京A12346")
    return house, owner


def search(client, base, q):
    response = client.get(base + "/search", {"q": q})
    assert response.status_code == 200
    body = response.json()
    return ([h["code"] for h in body["houses"]], [p["name"] for p in body["persons"]],
            [v["plate"] for v in body["vehicles"]])


@pytest.mark.parametrize("q", ["3-2-1502", "3栋2单元1502", "3号楼2单元1502室", " 3 - 2 - 1502 ", "３-２-１５０２",
                               "3/2/1502"])
def test_a_house_as_people_write_it(client, base, registry, q):
    houses, _persons, _vehicles = search(client, base, q)
    assert houses == ["3-2-1502"]


def test_a_bare_number_finds_that_number_in_every_unit(client, base, registry):
    houses, _persons, _vehicles = search(client, base, "1502")
    assert sorted(houses) == ["3-1-1502", "3-2-1502"]


@pytest.mark.parametrize(("q", "found"), [
    ("张伟", ["张伟"]),
    ("张", ["张伟"]),
    ("13812341234", ["张伟"]),
    ("138 1234 1234", ["张伟"]),
    ("1234", ["张伟"]),
    ("6666", ["李娜"]),
])
def test_a_person_by_name_or_mobile(client, base, registry, q, found):
    _houses, persons, _vehicles = search(client, base, q)
    assert persons == found


@pytest.mark.parametrize("q", ["京A12345", "京a·12345", "A1234"])
def test_a_vehicle_by_plate(client, base, registry, q):
    _houses, _persons, vehicles = search(client, base, q)
    assert vehicles == ["京A12345"]


def test_nothing_for_an_empty_query_or_no_match(client, base, registry):
    assert search(client, base, "   ") == ([], [], [])
    assert search(client, base, "王五") == ([], [], [])


def test_a_query_is_required(client, base):
    assert client.get(base + "/search").status_code == 422


def test_residents_search_only_their_own_household(estate, member, api, base, registry):
    house, _owner = registry
    resident = member("owner", estate)
    ResidencyFactory(house=house, person=PersonFactory(estate=estate, name="王芳", mobile=resident.phone,
                                                       user=resident), kind="family", is_representative=False)
    client = api(resident, [estate])

    assert search(client, base, "李娜") == ([], [], [])
    assert search(client, base, "1502")[0] == ["3-2-1502"]
    assert search(client, base, "京A12345")[2] == ["京A12345"]
