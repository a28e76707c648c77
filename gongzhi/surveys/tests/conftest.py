"""The surveys world: one estate with four houses in two buildings; an owner of two houses (in building 1), a second
owner (building 2), a family member (house 0), a tenant (house 3, no owner with a login); the manager, customer
service, the committee chair and a member, a technician. ``make_survey`` builds and publishes one survey."""

from dataclasses import dataclass
from typing import Any

import pytest

from gongzhi.core.access import Actor
from gongzhi.core.tests.people import resident
from gongzhi.estate.tests.factories import BuildingFactory, HouseFactory, UnitFactory
from gongzhi.surveys import builder


@dataclass
class World:
    estate: Any
    buildings: list
    houses: list
    owner: Actor  # owns houses[0] and houses[1] (building 1)
    owner2: Actor  # owns houses[2] (building 2)
    family: Actor  # lives in houses[0]
    tenant: Actor  # rents houses[3]
    manager: Actor
    service: Actor
    chair: Actor
    committee: Actor
    technician: Actor


@pytest.fixture
def world(estate, actor_for) -> World:
    buildings = [BuildingFactory(estate=estate, name="1"), BuildingFactory(estate=estate, name="2")]
    units = [UnitFactory(building=b, estate=estate, name="1") for b in buildings]
    houses = [HouseFactory(unit=units[0], number="101"), HouseFactory(unit=units[0], number="102"),
              HouseFactory(unit=units[1], number="101"), HouseFactory(unit=units[1], number="102")]
    return World(
        estate=estate, buildings=buildings, houses=houses,
        owner=resident(actor_for, estate, houses[:2], "owner", "owner"),
        owner2=resident(actor_for, estate, houses[2:3], "owner", "owner"),
        family=resident(actor_for, estate, houses[:1], "family", "family"),
        tenant=resident(actor_for, estate, houses[3:], "tenant", "tenant"),
        manager=actor_for("manager", estate), service=actor_for("customer_service", estate),
        chair=actor_for("committee_chair", estate), committee=actor_for("committee_member", estate),
        technician=actor_for("technician", estate))


STANDARD = [
    {"kind": "single", "text": "Which gate do you use?", "options": ["North", "South"], "key": "gate"},
    {"kind": "multiple", "text": "What should improve?", "options": ["Cleaning", "Security", "Parking"],
     "max_choices": 2, "key": "improve"},
    {"kind": "scale", "text": "Repair speed", "key": "repair_speed"},
    {"kind": "nps", "text": "Recommend us?", "key": "nps"},
    {"kind": "text", "text": "Comments", "required": False, "key": "comments"},
]


@pytest.fixture
def make_survey(world):
    def make(*, actor=None, publish=True, questions=None, **fields) -> Any:
        survey = builder.survey_create(actor=actor or world.manager, title=fields.pop("title", "Satisfaction"),
                                       questions=questions if questions is not None else STANDARD, **fields)
        if publish:
            survey = builder.survey_publish(actor=actor or world.manager, survey_id=survey.pk)
        return survey

    return make


def qids(survey) -> dict[str, int]:
    return {q.key: q.pk for q in survey.questions.all()}


@pytest.fixture(autouse=True)
def _english(settings):
    """These stories read the English texts; the zh-hans catalogue is checked by tests/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
