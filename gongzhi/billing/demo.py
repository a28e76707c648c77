"""The demo estates' fees: fee items and rules (the property fee by house kind, parking rent, water metered in
tiers), water meters with monthly readings in one building, a year of monthly bill runs, and the payments of that
year: most on time, some late, some partial, a few paid a year ahead (prepayment), about 8 % of houses in arrears.

Everything goes through the services, as finance would enter it, and is dated in the past: call it BEFORE the
ledger demo closes those months (see docs/billing/bill-runs.md, "Demo"). Idempotent: an estate that has bills is
left alone.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor, resolve_actor
from gongzhi.estate.models import Building, House

from .calc import DAY, add_months, month_end
from .choices import BillStatus, DiscountKind, FeeKind, LedgerCode, MeterKind, PaymentMethod
from .meters import meter_install, reading_record
from .models import Bill
from .rules import discount_create, fee_item_create, fee_rule_create
from .runs import bill_run_issue

WATER_TIERS = [{"up_to": "10", "price": "3.50"}, {"up_to": "25", "price": "4.20"}, {"up_to": None, "price": "5.60"}]
METHODS = [PaymentMethod.WECHAT, PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.BANK_TRANSFER,
           PaymentMethod.CASH, PaymentMethod.POS]
# How a house pays, by share of houses: on time, late, partly, a year ahead, not at all lately (arrears).
# Houses of the first building with a water meter read every month (enough to show tiers and readings; each reading
# is a service call, and the demo is seeded in every test run of seed_demo).
METERED_HOUSES = 60
HABITS = [("on_time", 74), ("late", 10), ("partial", 5), ("prepaid", 3), ("arrears", 8)]


def _finance(estate) -> Actor | None:
    membership = (Membership.objects.filter(estate=estate, role__in=["finance", "manager"], ended_at__isnull=True)
                  .order_by("role", "pk").select_related("user").first())
    return resolve_actor(membership.user, estate.pk) if membership else None


def _habit(rng: random.Random) -> str:
    pick = rng.uniform(0, 100)
    for habit, share in HABITS:
        if pick < share:
            return habit
        pick -= share
    return HABITS[0][0]


def seed_billing(*, estate, today: datetime.date | None = None, seed: int = 2026) -> int:
    """Seed the estate's fees (see the module docstring); returns the number of bills issued."""
    if Bill.objects.filter(estate=estate).exists():
        return 0
    finance = _finance(estate)
    if finance is None:
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    first = add_months(today, -12)
    months = [add_months(first, i) for i in range(12)]
    with transaction.atomic():
        since = first - datetime.timedelta(days=365)
        prop = fee_item_create(actor=finance, code="property", name="物业费", kind=FeeKind.AREA,
                               ledger_code=LedgerCode.PROPERTY, sort_key=1, rate="2.20", effective_from=since)
        fee_rule_create(actor=finance, fee_item=prop, house_kind="commercial", rate="4.50", effective_from=since)
        # the owners' assembly approved a new rate from the 16th of the seventh month (the bills prorate it)
        fee_rule_create(actor=finance, fee_item=prop, rate="2.35", effective_from=months[6].replace(day=16),
                        note="业主大会决议调整物业费标准")
        fee_item_create(actor=finance, code="parking", name="车位管理费", kind=FeeKind.PARKING,
                        ledger_code=LedgerCode.PARKING, sort_key=2, rate="80.00", effective_from=since)
        fee_item_create(actor=finance, code="water", name="水费", kind=FeeKind.METERED, meter_kind=MeterKind.WATER,
                        ledger_code=LedgerCode.UTILITIES, sort_key=3, rate="3.50", effective_from=since,
                        tiers=WATER_TIERS)
        discount_create(actor=finance, kind=DiscountKind.VACANT, percent="30", effective_from=since,
                        fee_item=prop, reason="空置房物业费七折")
        discount_create(actor=finance, kind=DiscountKind.PREPAYMENT, percent="5", months=12, effective_from=since,
                        fee_item=prop, reason="预交一年物业费九五折")
        metered = _meters(finance, estate, first, rng)
        habits = {h: _habit(rng) for h in House.objects.filter(estate=estate).order_by("pk")
                  .values_list("pk", flat=True)}
        values = {m.pk: m.initial_reading for m in metered}
        for i, m in enumerate(months):
            end = month_end(m)
            for meter in metered:
                values[meter.pk] += Decimal(rng.randint(40, 260)) / 10
                reading_record(actor=finance, meter=meter, read_on=m.replace(day=25), value=values[meter.pk])
            bill_run_issue(actor=finance, period_kind="month", period_start=m, issued_on=min(end, today))
            if i % 3 == 2:
                _pay_quarter(finance, estate, months[i - 2:i + 1], habits, rng, today, last=i == len(months) - 1)
    return Bill.objects.filter(estate=estate).count()


def _meters(finance: Actor, estate, first: datetime.date, rng: random.Random) -> list:
    """Water meters in the first building's first METERED_HOUSES houses (a year of readings for them)."""
    building = Building.objects.filter(estate=estate).order_by("sort_key", "name").first()
    if building is None:
        return []
    meters = []
    for house in House.objects.filter(estate=estate, building=building).order_by("pk")[:METERED_HOUSES]:
        meters.append(meter_install(actor=finance, house=house, kind=MeterKind.WATER, serial=f"W{house.pk:06d}",
                                    installed_on=first - datetime.timedelta(days=60),
                                    initial_reading=Decimal(rng.randint(100, 3000))))
    return meters


def _pay_quarter(finance: Actor, estate, months: list[datetime.date], habits: dict[int, str], rng: random.Random,
                 today: datetime.date, *, last: bool) -> None:
    """Each house pays its quarter's open bills as its habit says, dated after the quarter's last run."""
    issued = month_end(months[-1])
    open_bills: dict[int, list[Bill]] = {}
    for bill in Bill.objects.filter(estate=estate, period_start__in=months, status=BillStatus.OPEN) \
            .order_by("house_id", "period_start", "pk"):
        open_bills.setdefault(bill.house_id, []).append(bill)
    from .payments import payment_record

    houses = House.objects.in_bulk(list(open_bills))
    for house_id, bills in open_bills.items():
        habit = habits.get(house_id, "on_time")
        owed = sum((b.outstanding for b in bills), Decimal("0"))
        if (habit == "arrears" and last) or owed <= 0:
            continue
        delay = {"late": rng.randint(40, 70), "partial": rng.randint(3, 20)}.get(habit, rng.randint(1, 20))
        day = issued + DAY * delay
        if day > today:
            day = today
        amount = owed
        if habit == "partial":
            amount = (owed / 2).quantize(Decimal("0.01"))
        elif habit == "prepaid" and months[0] == add_months(today, -12):
            amount = (owed * 4).quantize(Decimal("0.01"))  # a year ahead: the balance settles the next bills
        if amount <= 0:
            continue
        payment_record(actor=finance, house=houses[house_id], amount=amount,
                       method=rng.choice(METHODS), key=f"demo.pay:{house_id}:{months[0]:%Y-%m}",
                       bill_ids=[b.pk for b in bills], reference=f"DEMO{house_id:06d}{months[0]:%Y%m}",
                       received_at=min(timezone.now() - datetime.timedelta(minutes=1), datetime.datetime.combine(
                           day, datetime.time(rng.randint(8, 20), rng.randint(0, 59)),
                           tzinfo=timezone.get_current_timezone())))
