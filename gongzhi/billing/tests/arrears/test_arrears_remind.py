"""Reminders: each house at least ``fees.reminder_after_days`` overdue is reminded at most once every
``fees.reminder_every_days`` days, in the notification centre (payers with a login) and by SMS (payers without)."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.arrears import arrears_remind
from gongzhi.billing.models import ArrearsReminder
from gongzhi.billing.tasks import remind_all
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Forbidden
from gongzhi.estate.tests.factories import PersonFactory, ResidencyFactory
from gongzhi.notifications.channels import SmsProvider
from gongzhi.notifications.models import Notification

from .helpers import d

pytestmark = pytest.mark.django_db
ON = d("2026-06-30")
texts: list[tuple[str, str]] = []


class Captured(SmsProvider):
    def send(self, phone: str, text: str) -> None:
        texts.append((phone, text))


@pytest.fixture(autouse=True)
def sms(settings):
    texts.clear()
    settings.SMS_PROVIDER = f"{__name__}.Captured"


@pytest.fixture
def arrears(fees):
    h0, h1, h2, _h3 = fees.houses
    make_bill(h0, ["260.70"], due_date=ON - datetime.timedelta(days=7))  # exactly 7 days overdue: reminded
    make_bill(h1, ["100.00"], due_date=ON - datetime.timedelta(days=40))
    make_bill(h2, ["75.00"], due_date=ON - datetime.timedelta(days=6))  # 6 days: not yet
    offline = PersonFactory(estate=fees.estate, mobile="13900001111", user=None, name="王老师")
    ResidencyFactory(house=h1, person=offline, kind="co_owner", is_representative=False)
    return fees


def test_houses_in_arrears_are_reminded_by_app_and_sms(arrears, django_capture_on_commit_callbacks):
    fees = arrears
    with django_capture_on_commit_callbacks(execute=True):
        result = arrears_remind(actor=fees.finance, estate=fees.estate, on=ON)
    assert (result.sent, sorted(result.houses)) == (2, [fees.houses[0].pk, fees.houses[1].pk])
    # the owner (with a login) gets both houses' reminders in the app; the family member gets none
    mine = Notification.objects.filter(user=fees.owner.user).order_by("pk")
    assert mine.count() == 2 and not Notification.objects.filter(user=fees.family.user).exists()
    assert mine[0].url.endswith("/billing/my/statement/")
    # the co-owner without a login gets an SMS
    assert [phone for phone, _t in texts] == ["13900001111"]
    reminders = {r.house_id: r for r in ArrearsReminder.objects.all()}
    assert reminders[fees.houses[0].pk].amount == Decimal("260.70")
    assert reminders[fees.houses[1].pk].channels == "in_app,sms"


def test_at_most_one_reminder_per_window(arrears):
    fees = arrears
    assert arrears_remind(actor=None, estate=fees.estate, on=ON).sent == 2
    # a rerun the same day sends nothing
    assert arrears_remind(actor=None, estate=fees.estate, on=ON).sent == 0
    # 29 days later: only the third house, overdue long enough by now, for the first time
    later = arrears_remind(actor=None, estate=fees.estate, on=ON + datetime.timedelta(days=29))
    assert (later.sent, later.houses, later.skipped_recent) == (1, [fees.houses[2].pk], 2)
    # 30 days later the first two houses' window is over; the third's is not
    again = arrears_remind(actor=None, estate=fees.estate, on=ON + datetime.timedelta(days=30))
    assert (again.sent, again.skipped_recent) == (2, 1)
    assert sorted(ArrearsReminder.objects.values_list("key", flat=True)) == sorted([
        f"{fees.houses[0].pk}:1", f"{fees.houses[1].pk}:1", f"{fees.houses[2].pk}:1",
        f"{fees.houses[0].pk}:2", f"{fees.houses[1].pk}:2"])


def test_the_daily_job_reminds_every_estate(arrears):
    assert remind_all(ON) == {arrears.estate.pk: 2}
    assert remind_all(ON) == {arrears.estate.pk: 0}


@pytest.mark.parametrize("who", ["chair", "service", "owner"])
def test_only_finance_and_the_manager_send_them(arrears, who):
    with pytest.raises(Forbidden):
        arrears_remind(actor=getattr(arrears, who), estate=arrears.estate, on=ON)
