"""seed_demo: a realistic, valid demo that a second run leaves alone (one small demo, shared by the module)."""

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, F, Max, Q, Sum
from django.test.utils import override_settings

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership, User
from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.shared_data import module_transaction
from gongzhi.estate import demo
from gongzhi.estate.choices import HouseStatus, IdType, ResidencyKind, SpaceStatus
from gongzhi.estate.models import Estate, House, ParkingSpace, Person, Residency, Unit, Vehicle
from gongzhi.estate.validators import parse_id_number, parse_mobile, parse_plate

SMALL = "0.05"


def run_seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", SMALL, *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m._meta.app_label in {"accounts", "estate", "core", "tickets", "notices", "notifications"}}


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small demo for the whole module, rolled back at its end; each test runs in a savepoint inside it."""
    var = tmp_path_factory.mktemp("var")
    with module_transaction(django_db_blocker, tmp_path_factory), override_settings(VAR_DIR=var, DEMO_PASSWORD=""):
        yield var, run_seed()


@pytest.fixture
def var_dir(_seeded_once, db):
    return _seeded_once[0]


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once[1]


def mingqiang() -> Estate:
    return Estate.objects.get(name="明强小区", company__name="明强物业")


def test_a_second_run_keeps_every_row_and_changes_nothing(seeded):
    # given a seeded database
    before = row_counts()
    hashes = dict(User.objects.values_list("phone", "password"))
    # when the seed runs again
    output = run_seed()
    # then not a row is added or removed, no password is re-hashed, and the logins are printed again
    assert row_counts() == before
    assert dict(User.objects.values_list("phone", "password")) == hashes
    assert "nothing was changed" in output
    assert "13800000001" in output and "13800000016" in output


def test_houses_have_realistic_areas_and_sources(seeded):
    houses = House.objects.filter(estate=mingqiang())
    for house in houses:
        assert Decimal("60") <= house.area_m2 <= Decimal("160")
        assert house.area_m2 == house.area_m2.quantize(Decimal("0.01"))
        assert Decimal("0.77") <= house.inner_area_m2 / house.area_m2 <= Decimal("0.86")
    sources = Counter(houses.values_list("area_source", flat=True))
    assert sources.most_common(1)[0][0] == "register" and len(sources) == 3
    units = Unit.objects.filter(estate=mingqiang())
    assert units.exists() and not units.exclude(has_elevator=True, floors=18).exists()


def test_every_sold_house_has_owners_whose_shares_add_up_and_one_representative(seeded):
    estate = mingqiang()
    owners = Residency.objects.current().filter(estate=estate, kind__in=[ResidencyKind.OWNER,
                                                                         ResidencyKind.CO_OWNER])
    sold = House.objects.filter(estate=estate, developer_held=False)
    by_house = {row["house_id"]: row for row in owners.values("house_id").annotate(
        n=Count("pk"), reps=Count("pk", filter=Q(is_representative=True)), shares=Sum("share"))}
    assert set(by_house) == set(sold.values_list("pk", flat=True))
    for row in by_house.values():
        assert row["reps"] == 1
        if row["n"] > 1:
            assert row["shares"] == Decimal("1")
    assert any(row["n"] > 1 for row in by_house.values()), "some houses are co-owned"
    multi = owners.values("person_id").annotate(n=Count("house_id", distinct=True)).filter(n__gt=1)
    assert multi.exists(), "some owners hold several houses"


def test_rented_houses_have_tenants_and_history_is_kept(seeded):
    estate = mingqiang()
    rented = House.objects.filter(estate=estate, status=HouseStatus.RENTED)
    assert rented.exists()
    tenants = Residency.objects.current().filter(estate=estate, kind=ResidencyKind.TENANT)
    assert set(tenants.values_list("house_id", flat=True)) == set(rented.values_list("pk", flat=True))
    assert Residency.objects.filter(estate=estate, end_date__isnull=False).exists()
    assert Residency.objects.filter(estate=estate, kind=ResidencyKind.FAMILY).exists()
    latest = Residency.objects.aggregate(start=Max("start_date"), end=Max("end_date"))
    assert latest["start"] <= demo.LAST_MOVE_IN and latest["end"] <= demo.LAST_MOVE_IN
    assert not Residency.objects.filter(end_date__lt=F("start_date")).exists()


def test_every_identifier_passes_the_registry_validators(seeded):
    for estate in Estate.objects.all():
        for person in Person.objects.filter(estate=estate):
            if person.mobile:
                assert parse_mobile(person.mobile) == person.mobile
            if person.id_number:
                assert parse_id_number(person.id_number, person.id_type) == person.id_number
        for vehicle in Vehicle.objects.filter(estate=estate):
            assert parse_plate(vehicle.plate) == (vehicle.plate, vehicle.kind)
    assert Vehicle.objects.filter(kind="new_energy").exists()
    assert Person.objects.filter(id_type=IdType.RESIDENT_ID).exists()


def test_parking_spaces_are_sold_rented_or_free_and_co_owned_land_is_never_sold(seeded):
    spaces = ParkingSpace.objects.filter(estate=mingqiang())
    assert set(spaces.values_list("status", flat=True)) == {SpaceStatus.SOLD, SpaceStatus.RENTED,
                                                            SpaceStatus.FREE}
    assert not spaces.filter(lot__on_common_land=True, status=SpaceStatus.SOLD).exists()
    assert not spaces.filter(status=SpaceStatus.FREE, holder__isnull=False).exists()
    assert not spaces.exclude(status=SpaceStatus.FREE).filter(holder__isnull=True).exists()


def test_every_write_is_audited_as_the_system(seeded):
    estate = mingqiang()
    entries = AuditEntry.objects.filter(estate=estate)
    assert entries.filter(action="house.create").count() == House.objects.filter(estate=estate).count()
    assert entries.filter(action="vehicle.register").count() == Vehicle.objects.filter(estate=estate).count()
    registry = entries.filter(action__regex=r"^(house|unit|building|person|residency|vehicle|parking)")
    assert set(registry.values_list("actor_label", flat=True)) == {"system"}
    # the default ticket categories are set up by the estate's manager, as a real estate's would be
    categories = entries.filter(action="ticket_category.create")
    assert categories.count() == 10
    assert {e.actor.phone for e in categories.select_related("actor")} == {"13800000001"}


def test_the_demo_estate_has_dispatch_notices_and_tickets_at_every_stage(seeded):
    from gongzhi.notices.models import Notice
    from gongzhi.tickets.models import Rating, TechnicianProfile, Ticket

    estate = mingqiang()
    assert TechnicianProfile.objects.filter(estate=estate).exists()
    assert Notice.objects.filter(estate=estate).exists()
    statuses = Counter(Ticket.objects.filter(estate=estate).values_list("status", flat=True))
    assert statuses == {"submitted": 2, "assigned": 1, "in_progress": 1, "resolved": 1, "closed": 1}
    assert Rating.objects.filter(ticket__estate=estate, score=5).count() == 1
    # every ticket has its SLA deadlines (submitted through the service, not written by hand)
    assert not Ticket.objects.filter(estate=estate, resolution_due_at__isnull=True, status="submitted").exists()


def test_one_login_per_role_that_signs_in_and_sees_only_its_estate(seeded, var_dir):
    password = (var_dir / "demo_password").read_text().strip()
    estate, other = mingqiang(), Estate.objects.get(name="阳光家园")
    roles = set(Membership.objects.filter(estate=estate, ended_at__isnull=True).values_list("role", flat=True))
    assert roles == set(Role.values)
    for login in demo.DEMO_LOGINS:
        user = User.objects.get(phone=login.phone)
        assert user.check_password(password), login.phone
        if login.estate_key == "mingqiang":
            assert resolve_actor(user, estate.pk).estate == estate
            with pytest.raises(NotFound):
                resolve_actor(user, other.pk)
    admin = User.objects.get(phone="13800000016")
    assert admin.is_superuser and not admin.memberships.exists()


def test_resident_logins_are_linked_to_people_who_live_there(seeded):
    estate = mingqiang()
    kinds = {r.person.user.phone: r.kind for r in Residency.objects.current()
             .filter(estate=estate, person__user__isnull=False).select_related("person__user")}
    assert kinds["13800000011"] == ResidencyKind.OWNER
    assert kinds["13800000012"] == ResidencyKind.FAMILY
    assert kinds["13800000013"] == ResidencyKind.TENANT
    owner_houses = set(Residency.objects.filter(person__user__phone="13800000011", end_date__isnull=True)
                       .values_list("house_id", flat=True))
    family_house = Residency.objects.get(person__user__phone="13800000012", end_date__isnull=True).house_id
    assert family_house in owner_houses


def test_the_generated_password_is_kept_and_reused(seeded, var_dir):
    saved = (var_dir / "demo_password").read_text().strip()
    assert saved.startswith("gz-") and len(saved) == 17
    assert any(c.isdigit() for c in saved) and any(c.isalpha() for c in saved[3:])
    assert saved in seeded
    assert saved in run_seed()
    assert (var_dir / "demo_password").read_text().strip() == saved


def test_a_new_demo_password_is_applied_to_the_demo_logins(seeded, settings):
    # given DEMO_PASSWORD is set after the first run
    settings.DEMO_PASSWORD = "Harbour-lights-2031"
    # when the seed runs again
    output = run_seed()
    # then every demo login accepts the new password, the change is audited, and the table shows it
    assert all(u.check_password("Harbour-lights-2031") for u in User.objects.filter(phone__startswith="1380000"))
    assert AuditEntry.objects.filter(action="user.password_set").count() == len(demo.DEMO_LOGINS)
    assert "Harbour-lights-2031" in output
