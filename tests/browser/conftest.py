"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

Nothing is downloaded: the tests use the system browser at /usr/bin/chromium (CHROMIUM overrides). Without it they
skip on a developer's machine and fail under CI, where .ci/run installs it.
"""

import datetime
import os
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from gongzhi.accounts.tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from gongzhi.estate.models import Building, House, ParkingLot, ParkingSpace, Person, Residency, Unit, Vehicle
from gongzhi.estate.tests.factories import CompanyFactory, EstateFactory, make_id_number, make_plate

# Playwright's sync API keeps an event loop running in this thread; Django refuses ORM calls from a thread with a
# running loop unless told that this is deliberate. The test code and the live server stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
RESULTS = Path(settings.BASE_DIR) / "test-results"
DOCS = Path(settings.BASE_DIR) / "docs"


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium):
    """open_page(width, height) → a fresh browser context (own cookies) showing a page of that size; Chinese is
    the browser's language, as for most of our users."""
    contexts = []

    def make(width: int = 1280, height: int = 800, locale: str = "zh-CN", scale: float = 1):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale=locale,
                                       timezone_id="Asia/Shanghai", device_scale_factor=scale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name) → test-results/<name>.png; with docs_name and UPDATE_DOCS_SCREENSHOTS=1 also the
    README's picture in docs/ (kept under 300 KB)."""
    RESULTS.mkdir(exist_ok=True)

    def take(page, name: str, *, full_page: bool = False, docs_name: str | None = None) -> Path:
        path = RESULTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if docs_name and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            page.screenshot(path=str(DOCS / docs_name), full_page=full_page)
            assert (DOCS / docs_name).stat().st_size < 300_000, f"{docs_name} is over 300 KB"
        return path

    return take


# --- a registry that looks like a real estate ------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "红梅"]


@dataclass
class World:
    estate: object
    resident: object
    clerk: object
    house: object
    owner: object
    plate: str
    password: str


@pytest.fixture
def world(transactional_db):
    """明强小区: 6 buildings × 2 units × 18 floors × 4 houses with owners, families, tenants, cars and parking;
    house 3-2-1502 belongs to 王芳 (a resident with a login) and her family; 陈静 works at the front desk."""
    rng = random.Random(2026)
    estate = EstateFactory(company=CompanyFactory(name="明强物业"), name="明强小区",
                           address="北京市朝阳区明强路88号")
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=str(n), sort_key=n, floors=18) for n in range(1, 7)])
    units = Unit.objects.bulk_create([Unit(estate=estate, building=b, name=str(u), sort_key=u, floors=18,
                                           has_elevator=True) for b in buildings for u in (1, 2)])
    statuses = ["occupied"] * 62 + ["rented"] * 10 + ["vacant"] * 8 + ["delivered"] * 5 + ["unsold"] * 15
    houses = []
    for unit in units:
        for floor in range(1, 19):
            for door in range(1, 5):
                status = rng.choice(statuses)
                area = Decimal(rng.choice([89, 96, 108, 128, 142])) + Decimal(rng.randrange(0, 99)) / 100
                houses.append(House(estate=estate, building_id=unit.building_id, unit=unit,
                                    number=f"{floor}{door:02d}", floor=floor, area_m2=area,
                                    inner_area_m2=(area * Decimal("0.79")).quantize(Decimal("0.01")),
                                    area_source=rng.choice(["register", "register", "survey", "contract"]),
                                    status=status, developer_held=status == "unsold"))
    houses = House.objects.bulk_create(houses)
    people, links = [], []
    for n, house in enumerate(h for h in houses if h.status in {"occupied", "rented", "vacant"}):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        people.append(Person(estate=estate, name=name, mobile=f"137{n:08d}", id_type="resident_id",
                             id_number=make_id_number(n, region="110105")))
        links.append(house)
    people = Person.objects.bulk_create(people)
    Residency.objects.bulk_create([
        Residency(estate=estate, house=house, person=person, kind="owner", is_representative=True,
                  start_date=datetime.date(2018, 6, 1)) for house, person in zip(links, people, strict=True)])
    Vehicle.objects.bulk_create([
        Vehicle(estate=estate, house=house, person=person, plate=make_plate(n + 100), kind="ordinary")
        for n, (house, person) in enumerate(zip(links, people, strict=True)) if n % 2 == 0])
    lots = ParkingLot.objects.bulk_create([
        ParkingLot(estate=estate, name="地下车库", kind="underground"),
        ParkingLot(estate=estate, name="地面停车场", kind="above_ground", on_common_land=True)])
    ParkingSpace.objects.bulk_create([
        ParkingSpace(estate=estate, lot=lots[n % 2], number=f"{'B' if n % 2 == 0 else 'P'}-{n:03d}",
                     status=rng.choice(["sold", "sold", "rented", "free"])) for n in range(20, 180)])

    # the household the walkthrough follows
    house = House.objects.get(estate=estate, building__name="3", unit__name="2", number="1502")
    House.objects.filter(pk=house.pk).update(status="occupied", developer_held=False, area_m2=Decimal("128.46"),
                                             inner_area_m2=Decimal("101.20"), area_source="register")
    Residency.objects.filter(house=house).delete()
    Vehicle.objects.filter(house=house).delete()
    resident = MembershipFactory(estate=estate, role="owner",
                                 user=UserFactory(phone="13812341234", name="王芳")).user
    owner = Person.objects.create(estate=estate, name="王芳", mobile="13812341234", user=resident,
                                  id_type="resident_id", id_number=make_id_number(1, birth=datetime.date(1985, 6, 15)))
    spouse = Person.objects.create(estate=estate, name="李强", mobile="13955556666")
    child = Person.objects.create(estate=estate, name="李小雨")
    former = Person.objects.create(estate=estate, name="赵六", mobile="13600001111")
    Residency.objects.create(estate=estate, house=house, person=owner, kind="owner", is_representative=True,
                             start_date=datetime.date(2021, 5, 1))
    Residency.objects.create(estate=estate, house=house, person=spouse, kind="family",
                             start_date=datetime.date(2021, 5, 1))
    Residency.objects.create(estate=estate, house=house, person=child, kind="family",
                             start_date=datetime.date(2021, 5, 1))
    Residency.objects.create(estate=estate, house=house, person=former, kind="tenant",
                             start_date=datetime.date(2019, 3, 1), end_date=datetime.date(2021, 2, 28))
    Vehicle.objects.create(estate=estate, house=house, person=owner, plate="京A12345", kind="ordinary")
    Vehicle.objects.create(estate=estate, house=house, person=spouse, plate="京AD12345", kind="new_energy")
    ParkingSpace.objects.create(estate=estate, lot=lots[0], number="B-018", status="sold", holder=owner,
                                house=house)
    clerk = MembershipFactory(estate=estate, role="customer_service",
                              user=UserFactory(phone="13900000002", name="陈静")).user
    return World(estate=estate, resident=resident, clerk=clerk, house=house, owner=owner, plate="京A12345",
                 password=TEST_PASSWORD)
