"""The ledger world: one estate with four houses of known areas in two buildings; their owners (one owns two
houses), a family member and a tenant; finance, the manager, the committee chair and a member, the residents'
committee liaison, a technician. ``post`` appends a simple balanced entry."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gongzhi.core.access import Actor
from gongzhi.core.tests.people import resident
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    UnitFactory,
)
from gongzhi.ledger import services
from gongzhi.ledger.choices import EntryKind


@dataclass
class Books:
    estate: Any
    houses: list  # areas 89.50, 120.00, 75.25, 140.75 m²
    owner: Actor  # owns houses[0] and houses[1]
    owner2: Actor  # owns houses[2]
    family: Actor  # lives in houses[0]
    tenant: Actor  # rents houses[3]
    finance: Actor
    manager: Actor
    chair: Actor
    committee: Actor
    liaison: Actor
    technician: Actor


AREAS = [Decimal("89.50"), Decimal("120.00"), Decimal("75.25"), Decimal("140.75")]


@pytest.fixture
def books(estate, actor_for) -> Books:
    b1, b2 = BuildingFactory(estate=estate, name="1"), BuildingFactory(estate=estate, name="2")
    u1, u2 = UnitFactory(building=b1, name="1"), UnitFactory(building=b2, name="1")
    houses = [HouseFactory(unit=u, number=n, area_m2=a)
              for u, n, a in [(u1, "101", AREAS[0]), (u1, "102", AREAS[1]), (u2, "101", AREAS[2]),
                              (u2, "102", AREAS[3])]]
    return Books(
        estate=estate, houses=houses,
        owner=resident(actor_for, estate, houses[:2], "owner", "owner"),
        owner2=resident(actor_for, estate, houses[2:3], "owner", "owner"),
        family=resident(actor_for, estate, houses[:1], "family", "family"),
        tenant=resident(actor_for, estate, houses[3:], "tenant", "tenant"),
        finance=actor_for("finance", estate), manager=actor_for("manager", estate),
        chair=actor_for("committee_chair", estate), committee=actor_for("committee_member", estate),
        liaison=actor_for("rc_liaison", estate), technician=actor_for("technician", estate))


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def post():
    """post(actor, amount, debit="1002", credit="4101", **fields) → a posted entry (public revenue by default)."""

    def make(actor, amount="100.00", debit="1002", credit="4101", **fields):
        fields.setdefault("date", yesterday())
        fields.setdefault("kind", EntryKind.PUBLIC_REVENUE)
        fields.setdefault("description", "电梯广告 Elevator ads")
        return services.entry_post(estate=actor.estate, actor=actor,
                                   lines=[services.Line(debit, debit=amount), services.Line(credit, credit=amount)],
                                   **fields)

    return make
