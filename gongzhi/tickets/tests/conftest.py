"""The tickets world: one estate with a resident's home, a neighbour, the desk and two technicians."""

from dataclasses import dataclass
from typing import Any

import pytest

from gongzhi.core.access import Actor, resolve_actor
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory

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
def actor_for(member):
    def make(role, estate, user=None) -> Actor:
        return resolve_actor(member(role, estate, user), estate.pk)

    return make


def _resident(actor_for, estate, house, role="owner", kind="owner") -> Actor:
    actor = actor_for(role, estate)
    person = PersonFactory(estate=estate, mobile=actor.user.phone, user=actor.user, name=actor.user.name)
    ResidencyFactory(house=house, person=person, kind=kind, is_representative=kind == "owner")
    return actor


@pytest.fixture
def desk(estate, actor_for) -> Desk:
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    home = HouseFactory(unit=unit, number="1502")
    next_door = HouseFactory(unit=unit, number="1501")
    return Desk(
        estate=estate, home=home, next_door=next_door,
        category=CategoryFactory(estate=estate, name="水电维修"),
        resident=_resident(actor_for, estate, home),
        family=_resident(actor_for, estate, home, role="family", kind="family"),
        neighbour=_resident(actor_for, estate, next_door),
        manager=actor_for("manager", estate), dispatcher=actor_for("dispatcher", estate),
        customer_service=actor_for("customer_service", estate), technician=actor_for("technician", estate),
        technician2=actor_for("technician", estate), guard=actor_for("guard", estate),
    )
