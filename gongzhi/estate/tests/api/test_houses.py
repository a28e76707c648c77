"""Houses through the API: add and correct, with every bad input refused in the one error shape and nothing
written."""

import pytest

from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error, nothing_written
from gongzhi.estate.models import Building, House, Unit
from gongzhi.estate.tests.factories import HouseFactory

GOOD = {"building": "3栋", "unit": "2单元", "number": "1502室", "floor": 15, "kind": "residential",
        "area_m2": "118.50", "inner_area_m2": "96.20", "area_source": "register", "status": "occupied"}


def test_manager_adds_a_house(post, estate, manager):
    response = post("/houses", GOOD)

    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["building"], body["unit"], body["number"]) == ("3-2-1502", "3", "2", "1502")
    assert (body["area_m2"], body["inner_area_m2"]) == ("118.50", "96.20")
    assert body["residencies"] == [] and body["vehicles"] == []
    house = House.objects.get(pk=body["id"])
    assert house.estate_id == estate.pk
    actions = list(AuditEntry.objects.filter(estate=estate).order_by("id").values_list("action", flat=True))
    assert actions == ["building.create", "unit.create", "house.create"]
    entry = AuditEntry.objects.get(action="house.create")
    assert entry.actor_id == manager.pk
    assert entry.before is None and entry.after["area_m2"] == "118.50"


def test_a_second_house_in_the_same_unit_reuses_building_and_unit(post):
    post("/houses", GOOD)
    assert post("/houses", {**GOOD, "number": "1501"}).status_code == 201
    assert (Building.objects.count(), Unit.objects.count(), House.objects.count()) == (1, 1, 2)


@pytest.mark.parametrize(("change", "field"), [
    ({"area_m2": "-5"}, "area_m2"),
    ({"area_m2": "0"}, "area_m2"),
    ({"area_m2": "0.001"}, "area_m2"),
    ({"inner_area_m2": "-1"}, "inner_area_m2"),
    ({"kind": "castle"}, "kind"),
    ({"status": "haunted"}, "status"),
    ({"area_source": "rumour"}, "area_source"),
    ({"inner_area_m2": "130"}, "inner_area_m2"),
    ({"number": "  "}, "number"),
])
def test_bad_house_is_400_and_writes_nothing(post, change, field):
    with nothing_written():
        body = assert_error(post("/houses", {**GOOD, **change}), 400, "invalid_field")
    assert body["detail"] == {"field": field}
    assert field in body["messages"]["en"]
    assert field in body["messages"]["zh-hans"]


def test_area_that_is_not_a_number_is_422(post):
    with nothing_written():
        body = assert_error(post("/houses", {**GOOD, "area_m2": "lots"}), 422, "validation_error")
    assert body["detail"][0]["loc"][-1] == "area_m2"


def test_duplicate_house_is_409(post):
    post("/houses", GOOD)
    with nothing_written():
        body = assert_error(post("/houses", {**GOOD, "building": "3", "unit": "2", "number": "1502"}), 409,
                            "house_exists")
    assert "3-2-1502" in body["messages"]["en"]


@pytest.fixture
def house(estate):
    return HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate, area_m2="100.00",
                        inner_area_m2="80.00", number="1502")


def test_manager_corrects_a_house_and_the_change_is_audited(patch, house):
    response = patch(f"/houses/{house.pk}", {"area_m2": "101.25", "area_source": "survey"})

    assert response.status_code == 200
    assert response.json()["area_m2"] == "101.25"
    house.refresh_from_db()
    assert (str(house.area_m2), house.area_source) == ("101.25", "survey")
    entry = AuditEntry.objects.get(action="house.update", object_id=str(house.pk))
    assert (entry.before["area_m2"], entry.after["area_m2"]) == ("100.00", "101.25")
    assert (entry.before["area_source"], entry.after["area_source"]) == ("register", "survey")


def test_a_correction_that_changes_nothing_is_not_audited(patch, house):
    with nothing_written():
        assert patch(f"/houses/{house.pk}", {"area_m2": "100.00"}).status_code == 200


@pytest.mark.parametrize(("change", "field"), [
    ({"area_m2": "-1"}, "area_m2"),
    ({"area_m2": "0"}, "area_m2"),
    ({"kind": "castle"}, "kind"),
    ({"area_m2": "70"}, "inner_area_m2"),  # now smaller than the inner area (80)
    ({"inner_area_m2": "120"}, "inner_area_m2"),
])
def test_bad_correction_is_400_and_writes_nothing(patch, house, change, field):
    with nothing_written():
        body = assert_error(patch(f"/houses/{house.pk}", change), 400, "invalid_field")
    assert body["detail"] == {"field": field}


def test_renumbering_onto_another_house_is_409(patch, house):
    HouseFactory(unit=house.unit, number="1501")
    with nothing_written():
        assert_error(patch(f"/houses/{house.pk}", {"number": "1501"}), 409, "house_exists")


@pytest.mark.parametrize("role", ["technician", "guard", "dispatcher", "owner", "committee_chair"])
def test_only_registry_writers_add_or_correct_houses(estate, member, api, post, patch, house, role):
    client = api(member(role, estate), [estate])
    with nothing_written():
        assert_error(post("/houses", GOOD, via=client), 403, "forbidden")
        # Refused for any house, existing or not, so the refusal tells nothing about which houses exist.
        assert_error(patch(f"/houses/{house.pk}", {"area_m2": "99"}, via=client), 403, "forbidden")
        assert_error(patch("/houses/999999", {"area_m2": "99"}, via=client), 403, "forbidden")


def test_house_list_filters_and_pages(client, base, estate, house):
    HouseFactory(unit=house.unit, number="1501", kind="commercial")
    for n in range(3):
        HouseFactory(unit=house.unit, number=f"160{n}")

    first = client.get(base + "/houses?limit=2").json()
    second = client.get(base + f"/houses?limit=2&cursor={first['next_cursor']}").json()
    commercial = client.get(base + "/houses?kind=commercial").json()

    assert len(first["items"]) == 2 and first["next_cursor"]
    assert not {h["id"] for h in first["items"]} & {h["id"] for h in second["items"]}
    assert [h["number"] for h in commercial["items"]] == ["1501"]
    assert_error(client.get(base + "/houses?cursor=garbage"), 400, "invalid_cursor")
