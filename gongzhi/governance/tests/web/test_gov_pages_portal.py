"""Stories of the owners' pages: an owner sees the open vote, casts, changes the vote, keeps the receipt code and
checks it; a family member without a proxy is told why they cannot vote; everyone reads the published result and
downloads what is needed to recount it."""

import json
import subprocess
import sys

import pytest

from gongzhi.core.access import resolve_actor
from gongzhi.governance import votes as svc
from gongzhi.governance.choices import BallotForm
from gongzhi.governance.models import Ballot

pytestmark = pytest.mark.django_db


def cast(place, client, vote, item, house, choice, key="k"):
    return client.post(place.url("vote_cast", vote_id=vote.pk),
                       {"house": house.pk, f"item_{item.pk}": choice, "idempotency_key": key,
                        "change": "True" if Ballot.objects.filter(vote=vote, house=house).exists() else ""})


def test_an_owner_sees_the_open_vote_with_her_house_not_voted_yet(place, make_vote, django_assert_max_num_queries):
    vote, _item = make_vote()
    make_vote(title="Second vote")
    client = place.client(place.owners[0])
    client.get(place.url("my_votes"))
    with django_assert_max_num_queries(25):
        page = client.get(place.url("my_votes")).content.decode()
    assert f'data-vote-id="{vote.pk}"' in page and "not voted yet" in page and place.houses[0].code in page
    assert place.client(place.stranger).get(place.url("my_votes")).status_code == 404


def test_an_owner_casts_changes_and_checks_her_receipt(place, make_vote):
    vote, item = make_vote()
    client = place.client(place.owners[0])
    page = client.get(place.url("vote_cast", vote_id=vote.pk)).content.decode()
    assert 'id="cast-form"' in page and 'name="viewport"' in page
    # she votes for: the receipt code is shown once, with "keep this code"
    response = cast(place, client, vote, item, place.houses[0], "for", key="a")
    page = response.content.decode()
    assert response.status_code == 200 and "Keep this code." in page
    code = page.split('id="receipt-code">')[1].split("<")[0].strip()
    assert len(code.replace("-", "")) >= 16
    # the same form sent again casts nothing more
    cast(place, client, vote, item, place.houses[0], "for", key="a")
    assert Ballot.objects.filter(vote=vote).count() == 1
    # coming back, the form offers to change the vote; she changes it to against
    page = client.get(place.url("vote_cast", vote_id=vote.pk)).content.decode()
    assert 'id="already-voted"' in page and "Change my vote" in page
    response = cast(place, client, vote, item, place.houses[0], "against", key="b")
    second = response.content.decode().split('id="receipt-code">')[1].split("<")[0].strip()
    assert Ballot.objects.filter(vote=vote).count() == 2
    # her first code shows the ballot as replaced, the second as counted
    first = client.post(place.url("vote_receipt", vote_id=vote.pk), {"code": code}).content.decode()
    assert 'data-counted="0"' in first
    latest = client.post(place.url("vote_receipt", vote_id=vote.pk), {"code": second}).content.decode()
    assert 'data-counted="1"' in latest and ('Against' in latest or '反对' in latest)
    # a forged code is refused next to the field
    forged = client.post(place.url("vote_receipt", vote_id=vote.pk), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert forged.status_code == 404
    page = forged.content.decode()
    assert 'id="field-code"' in page and "errorlist" in page[page.index('id="field-code"'):][:1500]


def test_a_family_member_without_a_proxy_is_told_why_she_cannot_vote(place, make_vote):
    vote, _item = make_vote()
    response = place.client(place.family).get(place.url("vote_cast", vote_id=vote.pk))
    assert response.status_code == 403 and "written authorisation" in response.content.decode()
    assert place.client(place.stranger).get(place.url("vote_cast", vote_id=vote.pk)).status_code == 404


def test_an_election_ballot_with_too_many_candidates_is_refused_next_to_the_item(place, make_vote):
    vote, item = make_vote(form=BallotForm.ELECTION, seats=5)
    options = [o.pk for o in item.options.all()]
    client = place.client(place.owners[1])
    response = client.post(place.url("vote_cast", vote_id=vote.pk),
                           {"house": place.houses[1].pk, f"item_{item.pk}": options, "idempotency_key": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    section = page[page.index(f'data-item-id="{item.pk}"'):]
    assert "Too many candidates" in section[:4000]
    assert not Ballot.objects.exists()
    assert 'data-seats="5"' in client.get(place.url("vote_cast", vote_id=vote.pk)).content.decode()


def test_the_published_result_shows_every_figure_and_recounts(place, make_vote, tmp_path):
    vote, item = make_vote()
    for n, choice in enumerate(["for", "for", "for", "against", "abstain"]):
        cast(place, place.client(place.owners[n]), vote, item, place.houses[n], choice, key=f"r{n}")
    owner = place.client(place.owners[5])
    # before publication the result is not shown
    assert owner.get(place.url("vote_result", vote_id=vote.pk)).status_code == 409
    svc.vote_close(actor=place.organiser, vote_id=vote.pk)
    svc.vote_publish(actor=place.organiser, vote_id=vote.pk)
    for user in (place.owners[5], place.family, place.chair):
        response = place.client(user).get(place.url("vote_result", vote_id=vote.pk))
        assert response.status_code == 200
    page = owner.get(place.url("vote_result", vote_id=vote.pk)).content.decode()
    assert "500.00 / 600.00" in page and "5 / 6" in page  # participation, both measures
    assert "300.00 / 500.00" in page and "3 / 5" in page  # approval: for / participating
    assert "more than 1/2" in page and "at least 2/3" in page and 'data-passes="1"' in page
    assert '<body class="portal"' in page  # the owner reads it in the portal's layout
    assert place.client(place.stranger).get(place.url("vote_result", vote_id=vote.pk)).status_code == 404
    # the downloads: the dataset, count.py, the roll and the per-house ballots (open ballot)
    dataset = owner.get(place.url("vote_result", vote_id=vote.pk), {"download": "dataset"})
    tool = owner.get(place.url("vote_result", vote_id=vote.pk), {"download": "count"})
    assert owner.get(place.url("vote_result", vote_id=vote.pk), {"download": "roll"}).status_code == 200
    listed = json.loads(owner.get(place.url("vote_result", vote_id=vote.pk), {"download": "ballots"}).content)
    assert len(listed["ballots"]) == 5
    (tmp_path / "vote.json").write_bytes(dataset.content)
    (tmp_path / "count.py").write_bytes(b"".join(tool.streaming_content))
    run = subprocess.run([sys.executable, "count.py", "vote.json"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "MATCHES" in run.stdout


def test_a_secret_vote_withholds_the_per_house_list(place):
    import datetime

    from django.utils import timezone

    from gongzhi.governance.choices import Matter

    now = timezone.now()
    organiser = resolve_actor(place.chair, place.estate.pk)
    vote = svc.vote_create(actor=organiser, title="Secret", secret=True, opens_at=now - datetime.timedelta(minutes=1),
                           closes_at=now + datetime.timedelta(days=20))
    svc.vote_item_add(actor=organiser, vote_id=vote.pk, title="Q", matter=Matter.OTHER)
    svc.vote_open(actor=organiser, vote_id=vote.pk)
    svc.vote_close(actor=organiser, vote_id=vote.pk)
    svc.vote_publish(actor=organiser, vote_id=vote.pk)
    client = place.client(place.owners[0])
    page = client.get(place.url("vote_result", vote_id=vote.pk)).content.decode()
    assert 'id="download-ballots"' not in page
    assert client.get(place.url("vote_result", vote_id=vote.pk), {"download": "ballots"}).status_code == 403
