"""vehicle_register / vehicle_deregister: one active registration per plate and estate; history kept."""

import pytest

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.estate.models import Vehicle
from gongzhi.estate.services import vehicle_deregister, vehicle_register
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory


def test_register_normalises_and_audits(manager, estate):
    person = PersonFactory(estate=estate)
    vehicle = vehicle_register(actor=manager, plate="粤b d12345", person_id=person.pk)
    assert (vehicle.plate, vehicle.kind, vehicle.person, vehicle.estate) == ("粤BD12345", "new_energy", person,
                                                                             estate)
    assert AuditEntry.objects.get(action="vehicle.register").after == {
        "plate": "粤BD12345", "kind": "new_energy", "person_id": person.pk, "house_id": None}


def test_a_bad_plate_names_the_field(manager):
    with pytest.raises(DomainError) as refused:
        vehicle_register(actor=manager, plate="京A1234")
    assert refused.value.detail == {"field": "plate"}
    assert not Vehicle.objects.exists()


def test_a_plate_is_registered_once_while_active(manager):
    vehicle = vehicle_register(actor=manager, plate="京A12345")
    with pytest.raises(Conflict):
        vehicle_register(actor=manager, plate="京A12345")
    vehicle_deregister(actor=manager, vehicle_id=vehicle.pk)
    assert vehicle_register(actor=manager, plate="京A12345").pk != vehicle.pk
    assert Vehicle.objects.filter(plate="京A12345").count() == 2


def test_deregistering_twice_records_once(manager):
    vehicle = vehicle_register(actor=manager, plate="京A12345")
    first = vehicle_deregister(actor=manager, vehicle_id=vehicle.pk).ended_at
    assert vehicle_deregister(actor=manager, vehicle_id=vehicle.pk).ended_at == first
    assert AuditEntry.objects.filter(action="vehicle.deregister").count() == 1


def test_links_must_be_in_the_same_estate(manager, other_estate):
    house = HouseFactory(estate=other_estate, unit__estate=other_estate, unit__building__estate=other_estate)
    with pytest.raises(NotFound):
        vehicle_register(actor=manager, plate="京A12345", house_id=house.pk)
    assert not Vehicle.objects.exists()


def test_another_estates_vehicle_is_not_found(manager, actor_for, other_estate):
    vehicle = vehicle_register(actor=manager, plate="京A12345")
    with pytest.raises(NotFound):
        vehicle_deregister(actor=actor_for("manager", other_estate), vehicle_id=vehicle.pk)
    vehicle.refresh_from_db()
    assert vehicle.ended_at is None


def test_a_guard_may_not_register_vehicles(actor_for, estate):
    with pytest.raises(Forbidden):
        vehicle_register(actor=actor_for("guard", estate), plate="京A12345")
