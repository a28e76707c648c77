"""The demo: a property company with a full-size estate and a small one, and one login per role.

``seed_demo`` calls :func:`seed`. Everything is generated from ``random.Random(seed)`` so two runs on empty
databases produce the same registry; a run against a database that already holds an estate leaves that estate's
data alone (idempotent), only adding what is missing (a demo login, a membership) and bringing the demo users'
password in line with ``DEMO_PASSWORD``.

The people are fictitious but well-formed: mainland mobile numbers, 18-digit ID numbers with a correct GB 11643
check digit, plates that ``parse_plate`` accepts. Rows are written with ``bulk_create`` in one transaction, each
with its audit record (actor ``None``: the system).
"""

from __future__ import annotations

import datetime
import os
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership, User
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit_entry, audit_many, snapshot
from gongzhi.core.models import AuditEntry

from .choices import (
    AreaSource,
    HouseKind,
    HouseStatus,
    IdType,
    LotKind,
    ResidencyKind,
    SpaceKind,
    SpaceStatus,
)
from .models import (
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
from .validators import id_checksum, parse_mobile, parse_plate

COMPANY_NAME = "明强物业"
BATCH = 1000
CENT = Decimal("0.01")

HOUSE_FIELDS = ["building_id", "unit_id", "number", "floor", "kind", "area_m2", "inner_area_m2", "area_source",
                "status", "developer_held"]
PERSON_FIELDS = ["name", "mobile", "id_type", "id_number", "user_id"]
RESIDENCY_FIELDS = ["house_id", "person_id", "kind", "share", "is_representative", "start_date", "end_date"]
VEHICLE_FIELDS = ["plate", "kind", "person_id", "house_id"]
SPACE_FIELDS = ["lot_id", "number", "kind", "status", "holder_id", "house_id", "area_m2"]


class DemoPasswordError(ValueError):
    """DEMO_PASSWORD is set but does not pass the password rules."""


# --- the plan -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LotPlan:
    name: str
    kind: str
    on_common_land: bool
    spaces_per_house: float
    prefix: str
    # Weights of sold / rented / free. Spaces on co-owned land are never sold (Civil Code art. 275).
    sold: float
    rented: float


@dataclass(frozen=True)
class EstatePlan:
    key: str
    name: str
    address: str
    city_code: str
    buildings: int
    units: int
    floors: int
    per_floor: int
    elevator: bool
    sold_ratio: float
    vehicles_per_house: float
    plate_prefix: str  # the local plate's province and issuing office, e.g. 沪B for Pudong
    lots: tuple[LotPlan, ...]


MINGQIANG = EstatePlan(
    key="mingqiang", name="明强小区", address="上海市浦东新区锦绣路2188弄", city_code="310115",
    buildings=12, units=2, floors=18, per_floor=4, elevator=True, sold_ratio=0.85, vehicles_per_house=0.52,
    plate_prefix="沪",
    lots=(
        LotPlan("地下车库", LotKind.UNDERGROUND, False, 0.35, "B", sold=0.55, rented=0.25),
        LotPlan("地面停车场", LotKind.ABOVE_GROUND, True, 0.07, "P", sold=0.0, rented=0.7),
    ),
)
YANGGUANG = EstatePlan(
    key="yangguang", name="阳光家园", address="上海市浦东新区高科西路1288弄", city_code="310115",
    buildings=3, units=2, floors=6, per_floor=2, elevator=False, sold_ratio=0.95, vehicles_per_house=0.4,
    plate_prefix="沪",
    lots=(LotPlan("地面停车场", LotKind.ABOVE_GROUND, True, 0.5, "P", sold=0.0, rented=0.6),),
)
PLANS = (MINGQIANG, YANGGUANG)


@dataclass(frozen=True)
class DemoLogin:
    role: str  # a Role value, or "admin" for the platform admin
    phone: str
    name: str
    estate_key: str | None
    # Residents (and committee members, who are owners) are linked to a registry person of this kind.
    person_kind: str | None = None
    gender: str = "m"
    born: tuple[int, int] = (1965, 1988)


# Fixed, documented phone numbers: 13800000001 … 13800000016. Generated residents never use 1380000xxxx.
DEMO_LOGINS = (
    DemoLogin(Role.MANAGER, "13800000001", "周明强", "mingqiang"),
    DemoLogin(Role.CUSTOMER_SERVICE, "13800000002", "吴晓燕", "mingqiang"),
    DemoLogin(Role.DISPATCHER, "13800000003", "郑国栋", "mingqiang"),
    DemoLogin(Role.TECHNICIAN, "13800000004", "王建军", "mingqiang"),
    DemoLogin(Role.GUARD, "13800000005", "冯志刚", "mingqiang"),
    DemoLogin(Role.CLEANER, "13800000006", "陈桂英", "mingqiang"),
    DemoLogin(Role.FINANCE, "13800000007", "褚丽华", "mingqiang"),
    DemoLogin(Role.COMMITTEE_CHAIR, "13800000008", "卫东升", "mingqiang", ResidencyKind.OWNER, "m", (1958, 1966)),
    DemoLogin(Role.COMMITTEE_MEMBER, "13800000009", "蒋秀兰", "mingqiang", ResidencyKind.OWNER, "f"),
    DemoLogin(Role.RC_LIAISON, "13800000010", "沈红梅", "mingqiang"),
    DemoLogin(Role.OWNER, "13800000011", "韩立新", "mingqiang", ResidencyKind.OWNER, "m", (1975, 1985)),
    DemoLogin(Role.FAMILY, "13800000012", "杨雨桐", "mingqiang", ResidencyKind.FAMILY, "f", (1978, 1986)),
    DemoLogin(Role.TENANT, "13800000013", "朱浩然", "mingqiang", ResidencyKind.TENANT, "m", (1992, 1999)),
    DemoLogin(Role.VOLUNTEER, "13800000014", "秦淑芬", "mingqiang", ResidencyKind.FAMILY, "f", (1952, 1960)),
    DemoLogin(Role.MANAGER, "13800000015", "许文博", "yangguang"),
    DemoLogin("admin", "13800000016", "平台管理员", None),
)
DEMO_PHONE_PREFIX = "1380000"
PLATFORM_ADMIN = _("Platform admin")


# --- names, numbers and plates --------------------------------------------------------------------------------
# The commonest surnames, roughly in order of frequency (repeated entries weight the draw).
SURNAMES = ("王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
            "贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_MALE = ("伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "波",
              "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "阳", "建国", "建华", "志强", "海峰",
              "东", "文博", "晨", "国庆", "永刚", "德明", "振华", "立新", "卫东", "家豪", "子健", "天佑", "学军")
GIVEN_FEMALE = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀英", "婷", "雪", "琳", "晶",
                "颖", "慧", "莉", "倩", "萍", "红", "梅", "琴", "云", "洁", "佳", "欣", "怡", "秀兰", "玉珍",
                "丽华", "淑芬", "海燕", "晓红", "美玲", "雅琴", "春梅", "婉清", "思雨")
GIVEN_CHILD = ("子轩", "浩然", "宇航", "梓涵", "欣怡", "思彤", "一诺", "雨桐", "俊熙", "诗琪", "子墨", "若汐",
               "沐阳", "梓萱", "皓轩", "可馨", "铭泽", "语嫣", "博文", "佳怡", "嘉懿", "奕辰", "安琪", "宸睿")
FOREIGN_NAMES = ("David Miller", "Anna Schmidt", "Kenji Tanaka", "Sophie Martin", "Min-jun Kim", "Lucas Rossi")
# Administrative division codes (GB/T 2260) people's ID numbers commonly start with in a Shanghai estate.
REGIONS = ("310115", "310115", "310115", "310104", "310105", "310107", "310110", "310112", "320102", "320506",
           "330106", "330203", "340104", "340302", "360102", "370202", "410105", "420106", "430104", "510107",
           "110105", "350203", "610113", "230103")
# Mobile prefixes in use by the three carriers (MIIT numbering plan).
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186",
                   "187", "188", "189", "191", "198", "199")
PLATE_LETTERS = "ABCDEFGHJKLMN"
PLATE_SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
OTHER_PROVINCES = "苏浙皖赣鲁豫鄂湘川闽京粤"


def person_name(rng: random.Random, gender: str, child: bool = False) -> str:
    pool = GIVEN_CHILD if child else (GIVEN_MALE if gender == "m" else GIVEN_FEMALE)
    return rng.choice(SURNAMES) + rng.choice(pool)


def id_number(rng: random.Random, birth: datetime.date, gender: str, region: str | None = None) -> str:
    """An 18-digit resident ID number (GB 11643): region, birth date, a sequence whose last digit is odd for men
    and even for women, and the ISO 7064 MOD 11-2 check character."""
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "m" else (0, 2, 4, 6, 8))
    first17 = f"{region or rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_checksum(first17)


def birth_date(rng: random.Random, first_year: int, last_year: int) -> datetime.date:
    start = datetime.date(first_year, 1, 1)
    return start + datetime.timedelta(days=rng.randrange((datetime.date(last_year, 12, 31) - start).days))


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def plate_number(rng: random.Random, local: str, new_energy: bool) -> str:
    province = local if rng.random() < 0.85 else rng.choice(OTHER_PROVINCES)
    office = rng.choice(PLATE_LETTERS)
    if new_energy:  # small new-energy car (GA 36-2018): D (electric) or F (hybrid), then 5 characters
        second = rng.choice("ABCDEFGHJK0123456789")
        return f"{province}{office}{rng.choice('DDDF')}{second}{rng.randrange(10**4):04d}"
    return province + office + "".join(rng.choice(PLATE_SERIAL) for _ in range(5))


def quantize(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the password -----------------------------------------------------------------------------------------------
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: readable aloud and on screen


def generate_password() -> str:
    """gz-xxxx-xxxx-xxxx: 12 random letters and digits (≈59 bits), with at least one of each."""
    while True:
        groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
        body = "".join(groups)
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            return "gz-" + "-".join(groups)


def password_file():
    return settings.VAR_DIR / "demo_password"


def demo_password() -> tuple[str, str]:
    """The demo users' password and where it comes from: DEMO_PASSWORD when set, else the one generated on the
    first run and kept in var/demo_password."""
    if settings.DEMO_PASSWORD:
        try:
            validate_password(settings.DEMO_PASSWORD)
        except ValidationError as exc:
            raise DemoPasswordError(" ".join(exc.messages)) from None
        return settings.DEMO_PASSWORD, "DEMO_PASSWORD"
    path = password_file()
    if path.exists() and (saved := path.read_text().strip()):
        return saved, str(path)
    password = generate_password()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, str(path)


# --- the registry of one estate ---------------------------------------------------------------------------------
DELIVERY = datetime.date(2016, 6, 1)  # the estate was handed over to its first owners
LAST_MOVE_IN = datetime.date(2025, 5, 31)  # generated dates stay in the past whenever the demo is loaded


@dataclass
class Household:
    house: House
    start: datetime.date = DELIVERY
    owners: list[Person] = field(default_factory=list)
    lives_here: bool = False


class RegistryBuilder:
    """Generates one estate's registry in memory, then writes it with bulk_create and its audit records."""

    def __init__(self, estate: Estate, plan: EstatePlan, scale: float, rng: random.Random,
                 linked: dict[str, DemoLogin], users: dict[str, User]):
        self.estate = estate
        self.plan = plan
        self.scale = scale
        self.rng = rng
        self.linked = linked  # phone → the demo login to attach to a registry person
        self.users = users
        self.audit: list[AuditEntry] = []
        self.mobiles: set[str] = set()
        self.ids: set[str] = set()
        self.plates: set[str] = set()
        self.counts: dict[str, int] = {}

    # -- people
    def _mobile(self) -> str:
        while True:
            mobile = mobile_number(self.rng)
            if mobile not in self.mobiles and not mobile.startswith(DEMO_PHONE_PREFIX):
                self.mobiles.add(mobile)
                return mobile

    def _resident_id(self, birth: datetime.date, gender: str) -> str:
        while True:
            number = id_number(self.rng, birth, gender)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def person(self, *, adult: bool = True, born: tuple[int, int] = (1958, 1992), gender: str | None = None,
               foreign_ok: bool = False) -> Person:
        rng = self.rng
        gender = gender or rng.choice("mf")
        if foreign_ok and rng.random() < 0.008:
            number = f"E{rng.randrange(10**8):08d}"
            self.ids.add(number)
            return Person(estate=self.estate, name=rng.choice(FOREIGN_NAMES), mobile=self._mobile(),
                          id_type=IdType.PASSPORT, id_number=number)
        if foreign_ok and rng.random() < 0.008:  # a Hong Kong or Macao resident's mainland travel permit
            number = f"{rng.choice('HM')}{rng.randrange(10**8):08d}"
            self.ids.add(number)
            return Person(estate=self.estate, name=person_name(rng, gender), mobile=self._mobile(),
                          id_type=IdType.OTHER, id_number=number)
        birth = birth_date(rng, *born)
        child = birth.year >= 2006
        registered_id = not child or rng.random() < 0.5
        return Person(
            estate=self.estate, name=person_name(rng, gender, child=child),
            mobile="" if child and birth.year > 2010 else self._mobile(),
            id_type=IdType.RESIDENT_ID if registered_id else "",
            id_number=self._resident_id(birth, gender) if registered_id else "",
        )

    def adopt(self, person: Person, login: DemoLogin) -> Person:
        """A generated person becomes the demo login's person: their name and number, a fresh ID number."""
        person.name = login.name
        person.mobile = login.phone
        person.id_type = IdType.RESIDENT_ID
        person.id_number = self._resident_id(birth_date(self.rng, *login.born), login.gender)
        person.user = self.users.get(login.phone)
        return person

    # -- the build
    def build(self) -> dict[str, int]:
        plan, rng = self.plan, self.rng
        n_buildings = max(1, round(plan.buildings * self.scale))
        buildings = [Building(estate=self.estate, name=str(b), sort_key=b, floors=plan.floors)
                     for b in range(1, n_buildings + 1)]
        self._write(Building, buildings, "building.create", None)
        units = [Unit(estate=self.estate, building=b, name=str(u), sort_key=u, floors=plan.floors,
                      has_elevator=plan.elevator)
                 for b in buildings for u in range(1, plan.units + 1)]
        self._write(Unit, units, "unit.create", None)

        houses: list[House] = []
        for building in buildings:
            # Houses stacked above each other share a floor plan: one area per position, a little jitter from
            # the survey of each house.
            plans = [rng.uniform(60, 158) for _ in range(plan.per_floor)]
            for unit in (u for u in units if u.building is building):
                for floor in range(1, plan.floors + 1):
                    for pos in range(1, plan.per_floor + 1):
                        area = quantize(min(160.0, plans[pos - 1] + rng.uniform(-0.6, 0.6)))
                        roll = rng.random()
                        source = (AreaSource.REGISTER if roll < 0.82 else
                                  AreaSource.SURVEY if roll < 0.94 else AreaSource.CONTRACT)
                        houses.append(House(
                            estate=self.estate, building=building, unit=unit, number=f"{floor}{pos:02d}",
                            floor=floor, kind=HouseKind.RESIDENTIAL, area_m2=area,
                            inner_area_m2=quantize(float(area) * rng.uniform(0.78, 0.85)), area_source=source,
                            status=HouseStatus.UNSOLD, developer_held=True))

        # The developer keeps about 15 %; the rest are sold.
        sold = rng.sample(houses, round(len(houses) * plan.sold_ratio))
        for house in sold:
            house.developer_held = False
        households = [Household(house) for house in sold]
        rng.shuffle(households)

        persons: list[Person] = []
        residencies: list[Residency] = []

        def new_person(**kwargs) -> Person:
            person = self.person(**kwargs)
            persons.append(person)
            return person

        def reside(house: House, person: Person, kind: str, start: datetime.date, *, share: str | None = None,
                   representative: bool = False, end: datetime.date | None = None) -> None:
            residencies.append(Residency(
                estate=self.estate, house=house, person=person, kind=kind,
                share=Decimal(share) if share else None, is_representative=representative and end is None,
                start_date=start, end_date=end))

        # Owners. Some own several houses (and live in one); some houses are co-owned; a few were resold.
        single_owners: list[tuple[Person, int]] = []
        for i, hh in enumerate(households):
            hh.start = DELIVERY + datetime.timedelta(days=rng.randrange(0, 2900))
            if rng.random() < 0.03:  # resold once: the first owner's residency ended and stays in the history
                first_start = DELIVERY + datetime.timedelta(days=rng.randrange(0, 300))
                hh.start = first_start + datetime.timedelta(days=rng.randrange(700, 2500))
                reside(hh.house, new_person(foreign_ok=True), ResidencyKind.OWNER, first_start,
                       end=hh.start - datetime.timedelta(days=1))
            roll = rng.random()
            if roll < 0.07 and i > 20 and single_owners:  # an owner who already has a house buys another
                k = rng.randrange(len(single_owners))
                owner, held = single_owners[k]
                if held >= 2:
                    single_owners.pop(k)  # three houses is enough for anyone
                else:
                    single_owners[k] = (owner, held + 1)
                hh.owners = [owner]
                reside(hh.house, owner, ResidencyKind.OWNER, hh.start, representative=True)
            elif roll < 0.29:  # co-owned, usually by a couple; one of them votes for the house
                shares = rng.choice((("0.5000", "0.5000"), ("0.5000", "0.5000"), ("0.6000", "0.4000"),
                                     ("0.7000", "0.3000"), ("0.5000", "0.2500", "0.2500")))
                hh.owners = [new_person(gender=g, foreign_ok=True) for g in ("m", "f", "m")[:len(shares)]]
                rep = rng.randrange(len(shares))
                for k, (owner, share) in enumerate(zip(hh.owners, shares, strict=True)):
                    reside(hh.house, owner, ResidencyKind.CO_OWNER, hh.start, share=share, representative=k == rep)
                hh.lives_here = True
            else:
                owner = new_person(foreign_ok=True)
                hh.owners = [owner]
                single_owners.append((owner, 1))
                reside(hh.house, owner, ResidencyKind.OWNER, hh.start, representative=True)
                hh.lives_here = True

        # How each sold house is used: lived in by its owners, let to tenants, empty, or not yet moved into.
        for hh in households:
            roll = rng.random()
            if not hh.lives_here:
                hh.house.status = HouseStatus.RENTED if roll < 0.6 else HouseStatus.VACANT
            else:
                hh.house.status = (HouseStatus.OCCUPIED if roll < 0.82 else HouseStatus.RENTED if roll < 0.88
                                   else HouseStatus.VACANT if roll < 0.94 else HouseStatus.DELIVERED)

        drivers: list[tuple[Person, House, bool]] = []  # who may own a car: (person, house, is an owner)
        for hh in households:
            house = hh.house
            if house.status == HouseStatus.OCCUPIED:
                drivers.append((hh.owners[0], house, True))
                if len(hh.owners) == 1 and rng.random() < 0.75:
                    spouse = new_person()
                    reside(house, spouse, ResidencyKind.FAMILY, hh.start)
                    if rng.random() < 0.3:
                        drivers.append((spouse, house, False))
                for _ in range(rng.choice((0, 1, 1, 1, 2, 2))):
                    reside(house, new_person(born=(2004, 2021)), ResidencyKind.FAMILY, hh.start)
                if rng.random() < 0.2:
                    reside(house, new_person(born=(1938, 1957)), ResidencyKind.FAMILY, hh.start)
            elif house.status == HouseStatus.RENTED:
                start = hh.start + datetime.timedelta(days=rng.randrange(30, 400))
                if rng.random() < 0.25 and start + datetime.timedelta(days=395) <= LAST_MOVE_IN:
                    # an earlier tenant moved out: the history stays
                    reside(house, new_person(born=(1975, 2000)), ResidencyKind.TENANT, start,
                           end=start + datetime.timedelta(days=364))
                    start += datetime.timedelta(days=395)
                start = min(start, LAST_MOVE_IN)
                tenant = new_person(born=(1975, 2000))
                reside(house, tenant, ResidencyKind.TENANT, start)
                drivers.append((tenant, house, False))
                if rng.random() < 0.4:
                    reside(house, new_person(born=(1975, 2000)), ResidencyKind.TENANT, start)

        self._attach_demo_people(households, persons, reside)

        self._write(House, houses, "house.create", HOUSE_FIELDS)
        self._write(Person, persons, "person.create", PERSON_FIELDS)
        self._write(Residency, residencies, "residency.add", RESIDENCY_FIELDS)
        self._vehicles(drivers, len(houses))
        self._parking(drivers, len(houses))
        return self.counts

    def _attach_demo_people(self, households: list[Household], persons: list[Person], reside: Callable) -> None:
        """The demo logins' people: the committee and the owner login own a house they live in, the family login
        lives with the owner login, the tenant login rents, the volunteer lives with another family."""
        homes = [hh for hh in households if hh.house.status == HouseStatus.OCCUPIED and len(hh.owners) == 1]
        rented = [hh for hh in households if hh.house.status == HouseStatus.RENTED]
        owner_home: Household | None = None
        for login in (lg for lg in self.linked.values() if lg.estate_key == self.plan.key):
            if login.person_kind == ResidencyKind.OWNER and homes:
                hh = homes.pop(0)
                self.adopt(hh.owners[0], login)
                if login.role == Role.OWNER:
                    owner_home = hh
                continue
            if login.person_kind == ResidencyKind.TENANT and rented:
                hh, kind = rented.pop(0), ResidencyKind.TENANT
            elif login.person_kind == ResidencyKind.FAMILY and login.role == Role.FAMILY and owner_home:
                hh, kind = owner_home, ResidencyKind.FAMILY
            elif login.person_kind == ResidencyKind.FAMILY and homes:
                hh, kind = homes.pop(0), ResidencyKind.FAMILY
            else:
                continue
            person = self.adopt(Person(estate=self.estate), login)
            persons.append(person)
            reside(hh.house, person, kind, min(LAST_MOVE_IN, hh.start + datetime.timedelta(days=45)))

    def _vehicles(self, drivers: list[tuple[Person, House, bool]], n_houses: int) -> None:
        rng = self.rng
        target = round(n_houses * self.plan.vehicles_per_house)
        pool = list(drivers)
        rng.shuffle(pool)
        # Households with two cars: the first drivers come round again.
        while len(pool) < target and drivers:
            pool += rng.sample(drivers, min(len(drivers), target - len(pool)))
        vehicles = []
        for person, house, _is_owner in pool[:target]:
            while True:
                raw = plate_number(rng, self.plan.plate_prefix, new_energy=rng.random() < 0.28)
                plate, kind = parse_plate(raw)
                if plate not in self.plates:
                    self.plates.add(plate)
                    break
            vehicles.append(Vehicle(estate=self.estate, plate=plate, kind=kind, person=person, house=house))
        self._write(Vehicle, vehicles, "vehicle.register", VEHICLE_FIELDS)

    def _parking(self, drivers: list[tuple[Person, House, bool]], n_houses: int) -> None:
        rng = self.rng
        owners = [d for d in drivers if d[2]]
        renters = list(drivers)
        rng.shuffle(owners)
        rng.shuffle(renters)
        holders: set[int] = set()
        lots = [ParkingLot(estate=self.estate, name=lot.name, kind=lot.kind, on_common_land=lot.on_common_land)
                for lot in self.plan.lots]
        self._write(ParkingLot, lots, "parking_lot.create", ["name", "kind", "on_common_land"])
        spaces = []
        for lot, lot_plan in zip(lots, self.plan.lots, strict=True):
            for n in range(1, max(4, round(n_houses * lot_plan.spaces_per_house)) + 1):
                roll = rng.random()
                status = (SpaceStatus.SOLD if roll < lot_plan.sold else
                          SpaceStatus.RENTED if roll < lot_plan.sold + lot_plan.rented else SpaceStatus.FREE)
                queue = owners if status == SpaceStatus.SOLD else renters
                while queue and id(queue[-1][0]) in holders:
                    queue.pop()
                holder = house = None
                if status != SpaceStatus.FREE:
                    if queue:
                        holder, house, _ = queue.pop()
                        holders.add(id(holder))
                    else:
                        status = SpaceStatus.FREE
                kind_roll = rng.random()
                kind = (SpaceKind.CHARGING if kind_roll < 0.12 else
                        SpaceKind.ACCESSIBLE if kind_roll < 0.14 else SpaceKind.STANDARD)
                area = quantize(rng.uniform(12.5, 13.8)) if lot_plan.kind == LotKind.UNDERGROUND else None
                spaces.append(ParkingSpace(estate=self.estate, lot=lot, number=f"{lot_plan.prefix}{n:03d}",
                                           kind=kind, status=status, holder=holder, house=house, area_m2=area))
        self._write(ParkingSpace, spaces, "parking_space.create", SPACE_FIELDS)

    def _write(self, model, objs: list, action: str, fields: list[str] | None) -> None:
        # Foreign keys assigned before their targets were saved pick up the ids here (Django does it on save).
        model.objects.bulk_create(objs, batch_size=BATCH)
        self.audit += [audit_entry(user=None, estate=self.estate, action=action, obj=obj,
                                   after=snapshot(obj, fields)) for obj in objs]
        self.counts[model._meta.model_name] = len(objs)


# --- the seed ---------------------------------------------------------------------------------------------------
@dataclass
class SeedResult:
    password: str
    password_source: str
    created_estates: list[str]
    counts: dict[str, dict[str, int]]
    logins: list[dict[str, str]]
    changes: Counter


def _where(login: DemoLogin, estates: dict[str, Estate], base: str) -> str:
    """The page to open first (gongzhi.estate.web.views.start_page): the console, the technician's queue or the
    portal."""
    from .web.views import start_page

    if login.estate_key is None:
        return f"{base}/admin/"
    return base + start_page(Actor(user=None, estate=estates[login.estate_key], roles=frozenset({login.role})))


def _ensure_users(password: str, entries: list[AuditEntry], changes: Counter) -> dict[str, User]:
    """The demo logins exist and accept ``password``. Argon2 is deliberately slow, so the password is hashed once
    and each distinct stored hash is checked once (the demo logins share one documented password anyway)."""
    existing = {u.phone: u for u in User.objects.filter(phone__in=[lg.phone for lg in DEMO_LOGINS])}
    verdicts: dict[str, bool] = {}
    encoded: list[str] = []

    def hashed() -> str:
        if not encoded:
            encoded.append(make_password(password))
        return encoded[0]

    users: dict[str, User] = {}
    for login in DEMO_LOGINS:
        user = existing.get(login.phone)
        admin = login.role == "admin"
        if user is None:
            user = User(phone=parse_mobile(login.phone), name=login.name, is_staff=admin, is_superuser=admin,
                        password=hashed())
            user.save()
            entries.append(audit_entry(user=None, estate=None, action="user.create", obj=user,
                                       after={"phone": user.phone, "name": user.name, "is_superuser": admin}))
            changes["demo logins created"] += 1
        else:
            if user.password not in verdicts:
                verdicts[user.password] = check_password(password, user.password)
            if not verdicts[user.password]:
                # DEMO_PASSWORD changed (or var/demo_password was replaced): the demo logins follow it.
                user.password = hashed()
                user.save(update_fields=["password"])
                entries.append(audit_entry(user=None, estate=None, action="user.password_set", obj=user,
                                           after={"reason": "demo password"}))
                changes["demo passwords updated"] += 1
        users[login.phone] = user
    return users


def _ensure_memberships(users: dict[str, User], estates: dict[str, Estate], entries: list[AuditEntry],
                        changes: Counter) -> None:
    wanted = [(users[lg.phone], estates[lg.estate_key], lg.role) for lg in DEMO_LOGINS if lg.estate_key]
    active = set(Membership.objects.filter(user__in=users.values(), ended_at__isnull=True)
                 .values_list("user_id", "estate_id", "role"))
    for user, estate, role in wanted:
        if (user.pk, estate.pk, role) not in active:
            membership = Membership.objects.create(user=user, estate=estate, role=role)
            entries.append(audit_entry(user=None, estate=estate, action="membership.grant", obj=membership,
                                       after={"user_id": user.pk, "role": role}))
            changes["memberships granted"] += 1


def _ensure_person_links(users: dict[str, User], estates: dict[str, Estate], entries: list[AuditEntry],
                         changes: Counter) -> None:
    """A demo login whose registry person lost its link (the user was deleted and re-created) gets it back."""
    for login in DEMO_LOGINS:
        if not login.person_kind or login.estate_key is None:
            continue
        for person in Person.objects.filter(estate=estates[login.estate_key], mobile=login.phone,
                                            user__isnull=True):
            person.user = users[login.phone]
            person.save(update_fields=["user", "updated_at"])
            entries.append(audit_entry(user=None, estate=person.estate, action="person.update", obj=person,
                                       before={"user_id": None}, after={"user_id": person.user_id}))
            changes["registry persons linked to their login"] += 1


def seed(*, scale: float = 1.0, seed: int = 2026, base_url: str | None = None) -> SeedResult:
    """Create what is missing of the demo and return the logins. ``scale`` shrinks the estates (for tests)."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    password, source = demo_password()
    base = base_url or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    entries: list[AuditEntry] = []
    changes: Counter = Counter()
    created: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    with transaction.atomic():
        users = _ensure_users(password, entries, changes)
        company = Company.objects.filter(name=COMPANY_NAME).first()
        if company is None:
            company = Company.objects.create(name=COMPANY_NAME, credit_code="91310115MA1K4DEMO8")
            entries.append(audit_entry(user=None, estate=None, action="company.create", obj=company,
                                       after={"name": company.name}))
        estates: dict[str, Estate] = {}
        for index, plan in enumerate(PLANS):
            estate = Estate.objects.filter(company=company, name=plan.name).first()
            if estate is None:
                estate = Estate.objects.create(company=company, name=plan.name, address=plan.address,
                                               city_code=plan.city_code)
                entries.append(audit_entry(user=None, estate=estate, action="estate.create", obj=estate,
                                           after=snapshot(estate, ["company_id", "name", "address", "city_code"])))
                builder = RegistryBuilder(estate, plan, scale, random.Random(seed * 100 + index),
                                          {lg.phone: lg for lg in DEMO_LOGINS if lg.person_kind}, users)
                counts[plan.name] = builder.build()
                entries += builder.audit
                created.append(plan.name)
            estates[plan.key] = estate
        _ensure_memberships(users, estates, entries, changes)
        _ensure_person_links(users, estates, entries, changes)
        audit_many(entries)

    logins = [{"role": login.role, "label": str(Role(login.role).label if login.role != "admin" else PLATFORM_ADMIN),
               "phone": login.phone, "name": login.name,
               "estate": estates[login.estate_key].name if login.estate_key else "—",
               "url": _where(login, estates, base)} for login in DEMO_LOGINS]
    return SeedResult(password=password, password_source=source, created_estates=created, counts=counts,
                      logins=logins, changes=changes)
