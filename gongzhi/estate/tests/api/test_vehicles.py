"""Vehicles: plates validated and normalised for mainland formats; one active registration per plate per estate."""

import pytest

from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error, nothing_written
from gongzhi.estate.models import Vehicle
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory


@pytest.fixture
def house(estate):
    return HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate)


@pytest.mark.parametrize(("typed", "plate", "kind"), [
    ("京a·12345", "京A12345", "ordinary"),
    (" 沪 B 1234X ", "沪B1234X", "ordinary"),
    ("粤ＢＤ１２３４５", "粤BD12345", "new_energy"),
    ("苏e-12345d", "苏E12345D", "new_energy"),
])
def test_plate_is_normalised(post, house, typed, plate, kind):
    response = post("/vehicles", {"plate": typed, "house_id": house.pk})

    assert response.status_code == 201
    assert (response.json()["plate"], response.json()["kind"]) == (plate, kind)
    assert Vehicle.objects.get(plate=plate).house == house


@pytest.mark.parametrize("plate", ["京A1234", "京A123456", "ZZA12345", "京AI2345", "京AD12345X", ""])
def test_bad_plate_is_400_and_writes_nothing(post, plate):
    with nothing_written():
        body = assert_error(post("/vehicles", {"plate": plate}), 400, "invalid_field")
    assert body["detail"] == {"field": "plate"}


def test_duplicate_plate_is_409_however_it_is_typed(post, house):
    post("/vehicles", {"plate": "京A12345", "house_id": house.pk})
    with nothing_written():
        body = assert_error(post("/vehicles", {"plate": "京a 12345"}), 409, "vehicle_exists")
    assert "京A12345" in body["messages"]["en"]


def test_deregistering_keeps_the_record_and_frees_the_plate(post, base, client, estate, house):
    person = PersonFactory(estate=estate)
    vehicle = post("/vehicles", {"plate": "京A12345", "person_id": person.pk, "house_id": house.pk}).json()
    assert vehicle["person_name"] == person.name and vehicle["house_code"] == house.code

    ended = post(f"/vehicles/{vehicle['id']}/deregister", {})

    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    assert client.get(base + "/vehicles").json()["items"] == []
    assert client.get(base + f"/vehicles/{vehicle['id']}").json()["ended_at"] is not None
    with nothing_written():
        assert post(f"/vehicles/{vehicle['id']}/deregister", {}).json()["ended_at"] == ended.json()["ended_at"]
    again = post("/vehicles", {"plate": "京A12345", "house_id": house.pk})
    assert again.status_code == 201 and again.json()["id"] != vehicle["id"]
    assert [e.action for e in AuditEntry.objects.filter(object_type="estate.vehicle").order_by("id")] == [
        "vehicle.register", "vehicle.deregister", "vehicle.register"]


def test_the_same_plate_may_be_registered_in_another_estate(post, other_estate):
    from gongzhi.estate.tests.factories import VehicleFactory

    VehicleFactory(estate=other_estate, house__estate=other_estate, house__unit__estate=other_estate,
                   house__unit__building__estate=other_estate, plate="京A12345")
    assert post("/vehicles", {"plate": "京A12345"}).status_code == 201


def test_a_vehicle_cannot_be_linked_to_another_estates_person_or_house(post, other_estate):
    person = PersonFactory(estate=other_estate)
    house = HouseFactory(estate=other_estate, unit__estate=other_estate, unit__building__estate=other_estate)
    with nothing_written():
        assert_error(post("/vehicles", {"plate": "京A12345", "person_id": person.pk}), 404, "not_found")
        assert_error(post("/vehicles", {"plate": "京A12345", "house_id": house.pk}), 404, "not_found")


def test_a_guard_sees_vehicles_but_may_not_register_them(estate, member, api, post, base, house):
    post("/vehicles", {"plate": "京A12345", "house_id": house.pk})
    guard = api(member("guard", estate), [estate])
    assert [v["plate"] for v in guard.get(base + "/vehicles").json()["items"]] == ["京A12345"]
    with nothing_written():
        assert_error(post("/vehicles", {"plate": "京B12345"}, via=guard), 403, "forbidden")
