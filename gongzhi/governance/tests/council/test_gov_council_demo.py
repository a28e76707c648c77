"""The demo council: seeded through the services, fast, idempotent."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory
from gongzhi.governance.demo_council import seed_council
from gongzhi.governance.models import ActionItem, AssemblyRequest, Meeting, Proposal

pytestmark = pytest.mark.django_db


def test_seed_council(estate, member):
    member("manager", estate)
    for n in range(3):
        user = member("owner" if n else "tenant", estate)
        ResidencyFactory(house=HouseFactory(estate=estate, unit__estate=estate, unit__building__estate=estate),
                         person=PersonFactory(estate=estate, user=user))
    for _ in range(12):  # houses nobody in the demo represents, so one signature stays below 20 %
        HouseFactory(estate=estate, unit__estate=estate, unit__building__estate=estate)
    result = seed_council(estate, now=timezone.now())
    assert result["proposals"] == 3
    assert Proposal.objects.filter(estate=estate, status="decided").count() == 1
    held, planned = Meeting.objects.filter(estate=estate).order_by("starts_at")
    assert held.status == "held" and held.minutes and planned.status == "planned"
    today = timezone.localdate()
    actions = ActionItem.objects.filter(meeting=held)
    assert sorted(a.status for a in actions) == ["done", "open", "open"]
    assert any(a.status == "open" and a.due_date < today for a in actions)
    assert any(a.status == "open" and a.due_date > today + datetime.timedelta(days=1) for a in actions)
    assert AssemblyRequest.objects.get(estate=estate).status == "collecting"
    assert seed_council(estate, now=timezone.now()) == {}
