"""A small estate for vote stories: houses of known areas, owners with logins, an organiser and a clerk."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.core.access import resolve_actor
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory
from gongzhi.governance import votes as svc
from gongzhi.governance.choices import BallotForm, Matter, VoteKind


def png_scan(name="scan.png") -> SimpleUploadedFile:
    """A real (tiny) PNG: the upload checks open it with Pillow."""
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), (200, 200, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class Town:
    estate: object
    organiser: object  # an Actor (owners' committee chair)
    clerk: object  # an Actor (customer service: enters written ballots)
    houses: list = field(default_factory=list)
    owners: list = field(default_factory=list)  # Actor per house (its representative)
    persons: list = field(default_factory=list)


@pytest.fixture
def town(estate, member):
    """Six houses of 100 m² each, each with its own owner (representative, with a login)."""
    unit = UnitFactory(estate=estate, building__estate=estate)
    chair = member("committee_chair", estate)
    clerk = member("customer_service", estate)
    t = Town(estate=estate, organiser=resolve_actor(chair, estate.pk), clerk=resolve_actor(clerk, estate.pk))
    for _ in range(6):
        house = HouseFactory(unit=unit, area_m2=Decimal("100.00"))
        user = member("owner", estate)
        person = PersonFactory(estate=estate, user=user)
        ResidencyFactory(house=house, person=person, kind="owner", is_representative=True)
        t.houses.append(house)
        t.persons.append(person)
        t.owners.append(resolve_actor(user, estate.pk))
    return t


@pytest.fixture
def make_vote(town):
    """make_vote(open=True, **fields) -> (vote, yes/no item): an assembly vote with one yes/no item."""

    def make(*, open=True, opens_in=datetime.timedelta(minutes=-1), days=20, matter=Matter.OTHER, **fields):
        now = timezone.now()
        vote = svc.vote_create(actor=town.organiser, title=fields.pop("title", "Repaint the fence"),
                               kind=fields.pop("kind", VoteKind.ASSEMBLY), opens_at=now + opens_in,
                               closes_at=now + datetime.timedelta(days=days), **fields)
        item = svc.vote_item_add(actor=town.organiser, vote_id=vote.pk, title="Repaint it green", matter=matter)
        if open:
            vote = svc.vote_open(actor=town.organiser, vote_id=vote.pk)
        return vote, item

    return make


@pytest.fixture
def election(town, make_vote):
    """An open vote with a 5-seat committee election of six candidates (the six owners)."""

    def make(seats=5):
        now = timezone.now()
        vote = svc.vote_create(actor=town.organiser, title="Committee election", opens_at=now,
                               closes_at=now + datetime.timedelta(days=20))
        item = svc.vote_item_add(actor=town.organiser, vote_id=vote.pk, title="Elect the committee",
                                 matter=Matter.COMMITTEE, form=BallotForm.ELECTION, seats=seats,
                                 options=[{"person_id": p.pk} for p in town.persons])
        vote = svc.vote_open(actor=town.organiser, vote_id=vote.pk)
        return vote, item

    return make


@pytest.fixture(autouse=True)
def _english(settings):
    """These stories read the English texts; the zh-hans catalogue is checked by tests/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
