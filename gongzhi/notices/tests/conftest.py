"""The notices world: one estate, two buildings; a household in building 1 (owner and family), a neighbour in
building 1 (another unit), a household in building 2, an empty house in building 1; the office (manager, customer
service), the residents' committee liaison, a technician."""

from dataclasses import dataclass
from typing import Any

import pytest

from gongzhi.core.access import Actor
from gongzhi.core.tests.people import resident
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    UnitFactory,
)


@dataclass
class Board:
    estate: Any
    b1: Any
    b2: Any
    u11: Any  # building 1, unit 1
    u12: Any  # building 1, unit 2
    u21: Any
    home: Any  # b1 u1: the resident's and the family's
    neighbour_home: Any  # b1 u2
    far_home: Any  # b2 u1
    empty: Any  # b1 u1, nobody lives there
    resident: Actor
    family: Actor
    neighbour: Actor
    far: Actor
    manager: Actor
    customer_service: Actor
    liaison: Actor
    technician: Actor

    @property
    def households(self) -> int:
        return 3


@pytest.fixture
def board(estate, actor_for) -> Board:
    b1 = BuildingFactory(estate=estate, name="1")
    b2 = BuildingFactory(estate=estate, name="2")
    u11, u12 = UnitFactory(building=b1, name="1"), UnitFactory(building=b1, name="2")
    u21 = UnitFactory(building=b2, name="1")
    home, empty = HouseFactory(unit=u11, number="101"), HouseFactory(unit=u11, number="102")
    neighbour_home, far_home = HouseFactory(unit=u12, number="101"), HouseFactory(unit=u21, number="101")
    return Board(
        estate=estate, b1=b1, b2=b2, u11=u11, u12=u12, u21=u21, home=home, neighbour_home=neighbour_home,
        far_home=far_home, empty=empty,
        resident=resident(actor_for, estate, home), family=resident(actor_for, estate, home, "family", "family"),
        neighbour=resident(actor_for, estate, neighbour_home), far=resident(actor_for, estate, far_home),
        manager=actor_for("manager", estate), customer_service=actor_for("customer_service", estate),
        liaison=actor_for("rc_liaison", estate), technician=actor_for("technician", estate),
    )
