"""seed_demo runs that seed by themselves: the full size, a refused password, determinism."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from gongzhi.accounts.models import User
from gongzhi.estate import demo
from gongzhi.estate.choices import HouseStatus
from gongzhi.estate.models import House, Vehicle

from .test_seed_demo import SMALL, mingqiang, run_seed


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.DEMO_PASSWORD = ""
    return tmp_path


def test_a_full_size_estate_has_the_shape_of_the_issue(db, var_dir):
    # when the seed runs at full size (the default)
    call_command("seed_demo", stdout=StringIO())
    # then 明强小区 has 12 buildings of 2 units, 18 floors and 4 houses a floor, about 85 % of them sold
    estate = mingqiang()
    houses = House.objects.filter(estate=estate)
    assert houses.count() == 12 * 2 * 18 * 4
    held = houses.filter(developer_held=True)
    assert held.count() == 1728 - round(1728 * 0.85)
    assert set(held.values_list("status", flat=True)) == {HouseStatus.UNSOLD}
    assert 850 <= Vehicle.objects.filter(estate=estate).count() <= 950
    assert House.objects.filter(estate__name="阳光家园").count() < houses.count() // 10


def test_a_weak_demo_password_is_refused(db, var_dir, settings):
    settings.DEMO_PASSWORD = "12345678"
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        run_seed()
    assert not User.objects.exists()


def test_the_registry_is_deterministic(db, var_dir):
    def registry() -> tuple[list, list]:
        houses = list(House.objects.order_by("building__sort_key", "unit__sort_key", "number")
                      .values_list("building__name", "unit__name", "number", "area_m2", "status"))
        return houses, sorted(Vehicle.objects.values_list("plate", "person__name"))

    # given one registry seed (the estates, houses, people and vehicles; the apps' demos build on it), rolled back
    with transaction.atomic():
        demo.seed(scale=float(SMALL), seed=7)
        first = registry()
        transaction.set_rollback(True)
    assert not House.objects.exists()
    # when the same seed runs again, then the same registry comes out
    demo.seed(scale=float(SMALL), seed=7)
    assert registry() == first
