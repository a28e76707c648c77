"""The tickets world: one estate with a resident's home, a neighbour, the desk and two technicians."""

from dataclasses import dataclass
from typing import Any

import pytest

from gongzhi.core.access import Actor
from gongzhi.core.tests.people import resident
from gongzhi.estate.tests.factories import HouseFactory, UnitFactory

from .factories import CategoryFactory, TicketFactory


@dataclass
class Desk:
    estate: Any
    home: Any  # the resident's house
    next_door: Any  # the neighbour's house, same unit
    category: Any
    resident: Actor
    family: Actor  # lives in the resident's home too
    neighbour: Actor
    manager: Actor
    dispatcher: Actor
    customer_service: Actor
    technician: Actor
    technician2: Actor
    guard: Actor

    def ticket(self, **kwargs):
        """A repair of the resident's home, submitted by the resident (override anything)."""
        kwargs.setdefault("house", self.home)
        kwargs.setdefault("submitted_by", self.resident.user)
        kwargs.setdefault("category", self.category)
        return TicketFactory(**kwargs)


@pytest.fixture
def desk(estate, actor_for) -> Desk:
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    home = HouseFactory(unit=unit, number="1502")
    next_door = HouseFactory(unit=unit, number="1501")
    return Desk(
        estate=estate, home=home, next_door=next_door,
        category=CategoryFactory(estate=estate, name="水电维修"),
        resident=resident(actor_for, estate, home),
        family=resident(actor_for, estate, home, role="family", kind="family"),
        neighbour=resident(actor_for, estate, next_door),
        manager=actor_for("manager", estate), dispatcher=actor_for("dispatcher", estate),
        customer_service=actor_for("customer_service", estate), technician=actor_for("technician", estate),
        technician2=actor_for("technician", estate), guard=actor_for("guard", estate),
    )
