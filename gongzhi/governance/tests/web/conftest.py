"""A small estate for the vote pages: six houses of 100 m² with owners who log in, a committee chair who organises,
a clerk who enters written ballots, a family member who may not vote, and a member of another estate."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.tests.factories import TEST_PASSWORD
from gongzhi.core.access import resolve_actor
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory
from gongzhi.governance import votes as svc
from gongzhi.governance.choices import BallotForm, Matter


def png(name="scan.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), (200, 200, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class Place:
    estate: object
    chair: object  # users
    clerk: object
    family: object
    stranger: object  # a member of another estate only
    houses: list = field(default_factory=list)
    owners: list = field(default_factory=list)  # user per house (its representative)
    persons: list = field(default_factory=list)

    def client(self, user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    def url(self, name, **kwargs) -> str:
        from django.urls import reverse

        return reverse(f"governance:{name}", kwargs={"estate_id": self.estate.pk, **kwargs})

    @property
    def organiser(self):
        return resolve_actor(self.chair, self.estate.pk)


@pytest.fixture
def place(estate, other_estate, member):
    unit = UnitFactory(estate=estate, building__estate=estate)
    p = Place(estate=estate, chair=member("committee_chair", estate), clerk=member("customer_service", estate),
              family=member("family", estate), stranger=member("committee_chair", other_estate))
    for n in range(6):
        house = HouseFactory(unit=unit, area_m2=Decimal("100.00"), number=f"{n + 1}01")
        user = member("owner", estate)
        person = PersonFactory(estate=estate, user=user, mobile=f"1390000000{n}")
        ResidencyFactory(house=house, person=person, kind="owner", is_representative=True)
        p.houses.append(house), p.owners.append(user), p.persons.append(person)
    ResidencyFactory(house=p.houses[0], person=PersonFactory(estate=estate, user=p.family), kind="family",
                     is_representative=False)
    for user in (p.chair, p.clerk, p.family, p.stranger, *p.owners):
        user.set_password(TEST_PASSWORD)
        user.save(update_fields=["password"])
    return p


@pytest.fixture
def make_vote(place):
    """make_vote(open=True, form=..., seats=...) -> (vote, item): an assembly vote with one item."""

    def make(*, open=True, form=BallotForm.YES_NO, seats=None, title="Repaint the fence"):
        now = timezone.now()
        vote = svc.vote_create(actor=place.organiser, title=title, opens_at=now - datetime.timedelta(minutes=1),
                               closes_at=now + datetime.timedelta(days=20))
        options = [{"label": p.name, "person_id": p.pk} for p in place.persons] if form == BallotForm.ELECTION else ()
        item = svc.vote_item_add(actor=place.organiser, vote_id=vote.pk, title="Repaint it green",
                                 matter=Matter.COMMITTEE if form == BallotForm.ELECTION else Matter.OTHER,
                                 form=form, seats=seats, options=options)
        if open:
            vote = svc.vote_open(actor=place.organiser, vote_id=vote.pk)
        return vote, item

    return make


@pytest.fixture(autouse=True)
def _english(settings):
    """These stories read the English texts; the zh-hans catalogue is checked by tests/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
