import datetime
from decimal import Decimal

import factory

from gongzhi.estate.models import (
    Building,
    Company,
    Estate,
    House,
    ParkingLot,
    ParkingSpace,
    Person,
    Residency,
    Unit,
    Vehicle,
)
from gongzhi.estate.validators import PROVINCES, id_checksum


def make_id_number(n: int, birth: datetime.date = datetime.date(1980, 1, 1), region: str = "110105") -> str:
    """A resident ID number with a correct GB 11643 check digit."""
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_checksum(first17)


def make_plate(n: int) -> str:
    return f"{PROVINCES[n % len(PROVINCES)]}A{n % 100000:05d}"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"物业公司{n}")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"小区{n}")
    address = "北京市朝阳区示例路1号"
    city_code = "110105"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: str(n + 1))
    sort_key = factory.LazyAttribute(lambda o: int(o.name) if o.name.isdigit() else 10**9)
    floors = 18


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    estate = factory.SelfAttribute("building.estate")
    name = factory.Sequence(lambda n: str(n % 9 + 1))
    floors = 18
    has_elevator = True


class HouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = House

    unit = factory.SubFactory(UnitFactory)
    building = factory.SelfAttribute("unit.building")
    estate = factory.SelfAttribute("unit.estate")
    number = factory.Sequence(lambda n: f"{n // 4 % 18 + 1}{n % 4 + 1:02d}{n // 72 or ''}")
    floor = 1
    area_m2 = Decimal("100.00")
    area_source = "register"
    status = "occupied"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"住户{n}")
    mobile = factory.Sequence(lambda n: f"137{n:08d}")
    id_type = "resident_id"
    id_number = factory.Sequence(make_id_number)


class ResidencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Residency

    house = factory.SubFactory(HouseFactory)
    estate = factory.SelfAttribute("house.estate")
    person = factory.SubFactory(PersonFactory, estate=factory.SelfAttribute("..estate"))
    kind = "owner"
    is_representative = True
    start_date = datetime.date(2020, 1, 1)


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    house = factory.SubFactory(HouseFactory)
    estate = factory.SelfAttribute("house.estate")
    plate = factory.Sequence(make_plate)
    kind = "ordinary"


class ParkingLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParkingLot

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"地下车库{n}")
    kind = "underground"


class ParkingSpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParkingSpace

    lot = factory.SubFactory(ParkingLotFactory)
    estate = factory.SelfAttribute("lot.estate")
    number = factory.Sequence(lambda n: f"B{n:03d}")
