"""A small estate for council and assembly stories: houses of known areas, owners with logins."""

from decimal import Decimal

import pytest

from gongzhi.core.access import resolve_actor
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory


@pytest.fixture
def actor_of():
    def make(user, estate):
        return resolve_actor(user, estate.pk)

    return make


@pytest.fixture
def houses(estate):
    """house(area) -> a house of the estate with that voting area (m²)."""
    unit = UnitFactory(estate=estate, building__estate=estate)

    def make(area="100.00"):
        return HouseFactory(unit=unit, area_m2=Decimal(area))

    return make


@pytest.fixture
def owner(member):
    """owner(estate, *houses, role="owner") -> a user who owns (and represents) those houses."""

    def make(estate, *houses, role="owner", kind="owner", representative=True):
        user = member(role, estate)
        person = PersonFactory(estate=estate, user=user)
        for house in houses:
            ResidencyFactory(house=house, person=person, kind=kind, is_representative=representative)
        return user

    return make


@pytest.fixture(autouse=True)
def _english(settings):
    """These stories read the English texts; the zh-hans catalogue is checked by tests/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
