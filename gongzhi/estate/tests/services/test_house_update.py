"""house_update: a correction, checked against the whole house, audited with before and after."""

from decimal import Decimal

import pytest

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.estate.services import house_create, house_update


@pytest.fixture
def house(manager):
    return house_create(actor=manager, building="3", unit="2", number="1502", area_m2="100", inner_area_m2="80")


def test_a_correction_is_audited(manager, house):
    house_update(actor=manager, house_id=house.pk, status="rented", developer_held=True)

    entry = AuditEntry.objects.get(action="house.update")
    assert (entry.before["status"], entry.after["status"]) == ("delivered", "rented")
    assert (entry.before["developer_held"], entry.after["developer_held"]) == (False, True)


def test_fields_not_given_are_left_alone(manager, house):
    house_update(actor=manager, house_id=house.pk, area_m2="120", kind=None)
    house.refresh_from_db()
    assert (house.area_m2, house.inner_area_m2, house.kind) == (Decimal("120.00"), Decimal("80.00"), "residential")


def test_the_inner_area_is_checked_against_the_stored_area(manager, house):
    with pytest.raises(DomainError):
        house_update(actor=manager, house_id=house.pk, inner_area_m2="100.01")
    with pytest.raises(DomainError):
        house_update(actor=manager, house_id=house.pk, area_m2="79.99")
    house.refresh_from_db()
    assert (house.area_m2, house.inner_area_m2) == (Decimal("100.00"), Decimal("80.00"))


def test_a_house_of_another_estate_is_not_found(actor_for, other_estate, house):
    with pytest.raises(NotFound):
        house_update(actor=actor_for("manager", other_estate), house_id=house.pk, area_m2="1")
