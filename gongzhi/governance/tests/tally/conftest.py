"""A small registry and a vote written directly (bulk rows, no services): the roll and the tally are read-side."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    HouseFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
)
from gongzhi.governance.models import Ballot, Vote, VoteItem, VoteOption

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def registry(estate):
    """registry.house(area, **fields), registry.own(person, *houses, kind=owner), registry.person(name)."""

    class Registry:
        def __init__(self):
            self.unit = UnitFactory(building=BuildingFactory(estate=estate, name="3"), name="1")
            self.number = 100

        def house(self, area="100.00", **fields):
            self.number += 1
            return HouseFactory(unit=self.unit, number=str(self.number), area_m2=Decimal(area), **fields)

        def person(self, name="业主"):
            return PersonFactory(estate=estate, name=name)

        def own(self, person, *houses, kind="owner", representative=False, **fields):
            for house in houses:
                ResidencyFactory(house=house, person=person, kind=kind, is_representative=representative, **fields)
            return person

    return Registry()


@pytest.fixture
def make_vote(estate):
    def make(*, items=(("other", "yes_no", None, ()),), secret=False, **fields):
        now = timezone.now()
        vote = Vote.objects.create(estate=estate, title="业主大会表决", secret=secret, opens_at=now,
                                   closes_at=now + datetime.timedelta(days=20), opened_at=now,
                                   created_by=UserFactory(), status="open", **fields)
        for position, (matter, form, seats, options) in enumerate(items, 1):
            item = VoteItem.objects.create(estate=estate, vote=vote, position=position, title=f"事项{position}",
                                           matter=matter, form=form, seats=seats)
            for n, label in enumerate(options, 1):
                VoteOption.objects.create(estate=estate, item=item, position=n, label=label)
        return vote

    return make


def cast(vote, house, item, *, choice="", options=(), channel="online"):
    return Ballot.objects.create(estate=vote.estate, vote=vote, item=item, house=house, channel=channel,
                                 choice=choice, options=list(options), receipt_sha256=f"{house.pk:064x}")
