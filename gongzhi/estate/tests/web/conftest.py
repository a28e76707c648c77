"""A small registry to browse: building 3, unit 2, house 1502 with its household, a car and a parking space."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.estate.models import Building, House, ParkingSpace, Person, Unit, Vehicle
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    ParkingLotFactory,
    ParkingSpaceFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
    make_id_number,
)

OWNER_MOBILE = "13812341234"
SPOUSE_MOBILE = "13955556666"


@dataclass
class Registry:
    building: Building
    unit: Unit
    house: House
    neighbour: House
    owner: Person
    spouse: Person
    former_tenant: Person
    vehicle: Vehicle
    space: ParkingSpace
    resident_user: object


@pytest.fixture
def registry(estate, member):
    """Given house 3-2-1502 where 王芳 (who has a login) owns and lives with her husband 李强; a tenant who left in
    2021; their car 京A12345 and underground space B-018; and the neighbour 3-2-1501, where they do not live."""
    building = BuildingFactory(estate=estate, name="3", sort_key=3)
    unit = UnitFactory(building=building, name="2")
    house = HouseFactory(unit=unit, number="1502", floor=15, area_m2=Decimal("128.46"),
                         inner_area_m2=Decimal("101.20"), area_source="register", status="occupied")
    neighbour = HouseFactory(unit=unit, number="1501", floor=15, status="vacant")
    resident_user = member("owner", estate, user=UserFactory(phone=OWNER_MOBILE, name="王芳"))
    owner = PersonFactory(estate=estate, name="王芳", mobile=OWNER_MOBILE, user=resident_user,
                          id_number=make_id_number(999))
    spouse = PersonFactory(estate=estate, name="李强", mobile=SPOUSE_MOBILE)
    former_tenant = PersonFactory(estate=estate, name="赵六", mobile="13600001111")
    ResidencyFactory(house=house, person=owner, kind="owner", is_representative=True)
    ResidencyFactory(house=house, person=spouse, kind="family", is_representative=False)
    ResidencyFactory(house=house, person=former_tenant, kind="tenant", is_representative=False,
                     start_date=datetime.date(2019, 3, 1), end_date=datetime.date(2021, 2, 28))
    vehicle = VehicleFactory(house=house, person=owner, plate="京A12345", kind="ordinary")
    lot = ParkingLotFactory(estate=estate, name="地下车库", kind="underground")
    space = ParkingSpaceFactory(lot=lot, number="B-018", status="sold", holder=owner, house=house)
    ParkingSpaceFactory(lot=lot, number="B-019", status="free")
    return Registry(building=building, unit=unit, house=house, neighbour=neighbour, owner=owner, spouse=spouse,
                    former_tenant=former_tenant, vehicle=vehicle, space=space, resident_user=resident_user)


@pytest.fixture
def browser_of():
    """browser_of(user) → a page client signed in as that user (English pages, so assertions read plainly)."""

    def make(user=None, language="en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


def page(client, url, **extra):
    response = client.get(url, **extra)
    return response, response.content.decode()
