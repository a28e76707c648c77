"""building_ensure / unit_ensure: found by name as people write it, created once."""

import pytest

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.models import Building
from gongzhi.estate.services import building_ensure, unit_ensure


def test_labels_are_stripped_and_the_building_is_created_once(manager):
    first = building_ensure(actor=manager, name="3栋")
    again = building_ensure(actor=manager, name=" ３号楼 ")

    assert first == again
    assert first.name == "3"
    assert AuditEntry.objects.filter(action="building.create").count() == 1


def test_buildings_sort_by_their_number(manager):
    for name in ["10", "2", "A", "1"]:
        building_ensure(actor=manager, name=name)
    assert [b.name for b in Building.objects.order_by("sort_key", "name")] == ["1", "2", "10", "A"]


def test_units_belong_to_their_building(manager):
    three, four = building_ensure(actor=manager, name="3"), building_ensure(actor=manager, name="4")
    assert unit_ensure(actor=manager, building=three, name="2单元") != unit_ensure(actor=manager, building=four,
                                                                                 name="2")
    assert unit_ensure(actor=manager, building=three, name="2").name == "2"


def test_a_name_is_required(manager):
    with pytest.raises(DomainError) as refused:
        building_ensure(actor=manager, name="  ")
    assert refused.value.detail == {"field": "building"}


def test_only_registry_writers_create_buildings(actor_for, estate):
    with pytest.raises(Forbidden):
        building_ensure(actor=actor_for("guard", estate), name="3")
    assert not Building.objects.exists()
