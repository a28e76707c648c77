"""house_create: validated, normalised, atomic, audited."""

from decimal import Decimal

import pytest

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.models import Building, House, Unit
from gongzhi.estate.services import house_create


def test_a_house_is_created_with_its_building_and_unit(manager, estate):
    house = house_create(actor=manager, building="3号楼", unit="2单元", number="1502室", area_m2=" 118.5 ",
                         floor=15)

    assert (house.code, house.estate, house.area_m2, house.floor) == ("3-2-1502", estate, Decimal("118.50"), 15)
    assert (house.kind, house.status, house.area_source) == ("residential", "delivered", "contract")


def test_area_is_kept_to_the_hundredth(manager):
    assert house_create(actor=manager, building="1", unit="1", number="1",
                        area_m2="88.885").area_m2 == Decimal("88.89")


@pytest.mark.parametrize("area", ["-1", "0", "abc", "NaN", "Infinity", "100000000"])
def test_a_bad_area_writes_nothing_at_all(manager, area):
    with pytest.raises(DomainError):
        house_create(actor=manager, building="9", unit="9", number="901", area_m2=area)
    assert not (Building.objects.exists() or Unit.objects.exists() or House.objects.exists())
    assert not AuditEntry.objects.exists()


def test_area_is_required(manager):
    with pytest.raises(DomainError) as refused:
        house_create(actor=manager, building="9", unit="9", number="901")
    assert refused.value.detail == {"field": "area_m2"}


def test_a_duplicate_rolls_back_and_names_the_house(manager):
    house_create(actor=manager, building="3", unit="2", number="1502", area_m2="100")
    audit_count = AuditEntry.objects.count()
    with pytest.raises(Conflict) as refused:
        house_create(actor=manager, building="3栋", unit="2", number="1502", area_m2="100")
    assert refused.value.code == "house_exists"
    assert "3-2-1502" in refused.value.text("en")
    assert AuditEntry.objects.count() == audit_count


def test_the_same_number_in_another_estate_is_another_house(manager, actor_for, other_estate):
    house_create(actor=manager, building="3", unit="2", number="1502", area_m2="100")
    other = house_create(actor=actor_for("manager", other_estate), building="3", unit="2", number="1502",
                         area_m2="100")
    assert other.estate == other_estate


@pytest.mark.parametrize("role", ["technician", "guard", "finance", "owner", "committee_chair", "rc_liaison"])
def test_only_managers_and_customer_service_add_houses(actor_for, estate, role):
    with pytest.raises(Forbidden):
        house_create(actor=actor_for(role, estate), building="3", unit="2", number="1502", area_m2="100")


def test_customer_service_may_add_houses(actor_for, estate):
    assert house_create(actor=actor_for("customer_service", estate), building="3", unit="2", number="1",
                        area_m2="60").pk
