"""The demo's votes: an election and a fund vote run to a published result that the recount tool reproduces, one
vote still open; fast, and a second run adds nothing."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.estate.models import Estate
from gongzhi.governance.demo_votes import seed_votes
from gongzhi.governance.models import Ballot, Proxy, Vote
from gongzhi.governance.published import published_dataset
from gongzhi.ledger.models import FundProject

pytestmark = pytest.mark.django_db(transaction=False)
COUNT_PY = Path(__file__).resolve().parents[2] / "count.py"


@pytest.fixture
def demo_estate(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.DEMO_PASSWORD = ""
    call_command("seed_demo", "--scale", "0.05", stdout=StringIO())
    return Estate.objects.get(name="明强小区")


def test_the_demo_votes_run_to_recomputable_results(demo_estate, tmp_path):
    # given the demo seeded (seed_demo runs seed_votes after the ledger)
    election = Vote.objects.get(estate=demo_estate, idempotency_key="demo.vote:election")
    fund = Vote.objects.get(estate=demo_estate, idempotency_key="demo.vote:fund")
    assert election.status == fund.status == "published"
    assert len(election.result["items"][0]["elected"]) == 7
    assert fund.result["items"][0]["passes"] is True
    assert FundProject.objects.get(pk=fund.fund_project_id).status == "approved"
    assert Vote.objects.get(estate=demo_estate, idempotency_key="demo.vote:chargers").status == "open"
    assert Proxy.objects.filter(vote=election).count() == 1
    assert Ballot.objects.filter(vote=election, channel="written").exists()
    assert Ballot.objects.filter(vote=election, replaces__isnull=False).exists()
    for vote in (election, fund):
        path = tmp_path / f"vote-{vote.pk}.json"
        path.write_text(json.dumps(published_dataset(vote), default=str, ensure_ascii=False))
        run = subprocess.run([sys.executable, str(COUNT_PY), str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stdout + run.stderr
    before = Ballot.objects.count()
    assert seed_votes(demo_estate, now=timezone.now()) == {"election": 0, "fund vote": 0, "open vote": 0}
    assert Ballot.objects.count() == before
