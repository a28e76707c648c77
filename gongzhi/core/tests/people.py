"""People for the tests of every app: a member with a login who is also a resident of some houses."""

from collections.abc import Iterable

from gongzhi.core.access import Actor
from gongzhi.estate.tests.factories import PersonFactory, ResidencyFactory


def resident(actor_for, estate, houses, role: str = "owner", kind: str = "owner") -> Actor:
    """A new member holding ``role`` who lives in ``houses`` (one house or several) as ``kind``; an owner is the
    voting representative of each house."""
    actor = actor_for(role, estate)
    person = PersonFactory(estate=estate, mobile=actor.user.phone, user=actor.user, name=actor.user.name)
    for house in houses if isinstance(houses, Iterable) else [houses]:
        ResidencyFactory(house=house, person=person, kind=kind, is_representative=kind == "owner")
    return actor
