"""The billing world: one estate with four houses of known areas in two buildings; their owners (one owns two
houses), a family member and a tenant; finance, the manager, customer service, the committee chair, a technician.

``make_bill`` writes an issued bill with its lines directly (as the bill run would), so that the tests of payments,
arrears and the portal do not depend on the bill-run engine; the bill run's own tests use the engine."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gongzhi.billing.choices import BillKind, BillStatus, FeeKind, LedgerCode, PayerKind
from gongzhi.billing.models import Bill, BillLine, FeeItem, FeeRule
from gongzhi.core.access import Actor
from gongzhi.core.tests.people import resident
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    UnitFactory,
)


@dataclass
class Fees:
    estate: Any
    houses: list  # areas 89.50, 120.00, 75.25, 140.75 m²
    owner: Actor  # owns houses[0] and houses[1]
    owner2: Actor  # owns houses[2]
    family: Actor  # lives in houses[0]
    tenant: Actor  # rents houses[3] (owned by nobody with a login)
    finance: Actor
    manager: Actor
    service: Actor  # customer service
    chair: Actor
    technician: Actor


AREAS = [Decimal("89.50"), Decimal("120.00"), Decimal("75.25"), Decimal("140.75")]


@pytest.fixture
def fees(estate, actor_for) -> Fees:
    b1, b2 = BuildingFactory(estate=estate, name="1"), BuildingFactory(estate=estate, name="2")
    u1, u2 = UnitFactory(building=b1, name="1"), UnitFactory(building=b2, name="1")
    houses = [HouseFactory(unit=u, number=n, area_m2=a)
              for u, n, a in [(u1, "101", AREAS[0]), (u1, "102", AREAS[1]), (u2, "101", AREAS[2]),
                              (u2, "102", AREAS[3])]]
    return Fees(
        estate=estate, houses=houses,
        owner=resident(actor_for, estate, houses[:2], "owner", "owner"),
        owner2=resident(actor_for, estate, houses[2:3], "owner", "owner"),
        family=resident(actor_for, estate, houses[:1], "family", "family"),
        tenant=resident(actor_for, estate, houses[3:], "tenant", "tenant"),
        finance=actor_for("finance", estate), manager=actor_for("manager", estate),
        service=actor_for("customer_service", estate), chair=actor_for("committee_chair", estate),
        technician=actor_for("technician", estate))


def property_fee_item(estate, rate: str = "2.20", *, effective_from=datetime.date(2020, 1, 1)) -> FeeItem:
    item, _created = FeeItem.objects.get_or_create(
        estate=estate, code="property", defaults={"name": "物业费", "kind": FeeKind.AREA,
                                                  "ledger_code": LedgerCode.PROPERTY})
    if not item.rules.exists():
        FeeRule.objects.create(estate=estate, fee_item=item, rate=Decimal(rate), effective_from=effective_from)
    return item


def make_bill(house, amounts=("260.70",), *, period_start=None, due_date=None, kind=BillKind.PERIODIC,
              payer_key=None, source_key="", issued_at=None) -> Bill:
    """An issued bill of ``house`` with one property-fee line per amount, written directly (no ledger entry)."""
    estate = house.estate
    item = property_fee_item(estate)
    start = period_start or datetime.date(2026, 1, 1)
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    amounts = [Decimal(a) for a in amounts]
    bill = Bill.objects.create(
        estate=estate, house=house, kind=kind, period_start=start, period_end=end, payer_kind=PayerKind.OWNER,
        payer_name="业主", payer_key=payer_key or f"test:{Bill.objects.count()}",
        issued_at=issued_at or timezone.now(), due_date=due_date or end, amount=sum(amounts, Decimal("0")),
        status=BillStatus.OPEN if sum(amounts) > 0 else BillStatus.PAID, source_key=source_key)
    BillLine.objects.bulk_create([
        BillLine(estate=estate, bill=bill, fee_item=item, description=item.name, quantity=Decimal("1"), unit="",
                 rate=a, amount=a, explanation=f"{a} 元", ledger_code=item.ledger_code, sort=i)
        for i, a in enumerate(amounts)])
    return bill
