"""The tally does not depend on the order in which ballots arrive, nor on the order of the roll (hypothesis), and the
standalone recount tool (``python count.py file.json``) gives the same result and says whether it matches."""

import json
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.governance import count

from .engine import NATIONAL, roll

COUNT_PY = Path(count.__file__)
CHANNELS = ["online", "online", "online", "written", "onsite"]


@st.composite
def votes(draw):
    """A random estate (some multi-house units), three items (yes/no, choose one, election of 2) and ballots with
    replacements through every channel."""
    n = draw(st.integers(min_value=1, max_value=25))
    areas = draw(st.lists(st.integers(min_value=1, max_value=30000), min_size=n, max_size=n))
    units = draw(st.lists(st.integers(min_value=0, max_value=n - 1), min_size=n, max_size=n))
    houses = [(f"h{i}", count.from_cents(areas[i]), f"u:{min(i, units[i])}") for i in range(n)]
    items = [{"id": 1, "position": 1, "matter": draw(st.sampled_from(["other", "rebuild", "fund_use"])),
              "form": "yes_no", "seats": None, "options": []},
             {"id": 2, "position": 2, "matter": "company", "form": "choose_one", "seats": None,
              "options": [{"id": 21, "position": 1, "label": "A"}, {"id": 22, "position": 2, "label": "B"}]},
             {"id": 3, "position": 3, "matter": "committee", "form": "election", "seats": 2,
              "options": [{"id": 31 + k, "position": k + 1, "label": f"C{k}"} for k in range(4)]}]
    ballots, seq = [], 0
    for _ in range(draw(st.integers(min_value=0, max_value=3 * n + 5))):
        seq += 1
        house = f"h{draw(st.integers(min_value=0, max_value=n - 1))}"
        item = draw(st.sampled_from([1, 2, 3]))
        ballot = {"house": house, "item": item, "channel": draw(st.sampled_from(CHANNELS)), "seq": seq,
                  "choice": "", "options": []}
        if item == 1:
            ballot["choice"] = draw(st.sampled_from(["for", "against", "abstain"]))
        elif item == 2:
            ballot["options"] = draw(st.sampled_from([[], [21], [22]]))
        else:
            ballot["options"] = draw(st.lists(st.sampled_from([31, 32, 33, 34]), max_size=2, unique=True))
        ballots.append(ballot)
    rules = {**NATIONAL, "written_overrides_online": draw(st.booleans()),
             "non_voters_follow_majority": draw(st.booleans()), "fund_two_thirds": draw(st.booleans()),
             "participation_area": draw(st.sampled_from(["2/3", "1/3"])),
             "participation_heads": draw(st.sampled_from(["2/3", "1/3"]))}
    return {"rules": rules, "rule_set": "national", "items": items, "roll": roll(*houses), "ballots": ballots,
            "fund_scope": draw(st.booleans()), "non_voter_clause": ""}


def _renumbered(ballots, rng):
    """Fresh seq numbers, drawn at random but keeping each house's order on each item (arrival order changes)."""
    fresh = sorted(rng.sample(range(1, 10 * len(ballots) + 10), len(ballots)))
    by_key: dict = {}
    for ballot in sorted(ballots, key=lambda b: b["seq"]):
        by_key.setdefault(ballot["item"], {}).setdefault(ballot["house"], []).append(ballot)
    # interleave the houses' queues in a random order, handing out increasing numbers
    queues = [list(q) for per_item in by_key.values() for q in per_item.values()]
    out = []
    for number in fresh:
        live = [q for q in queues if q]
        queue = rng.choice(live)
        out.append({**queue.pop(0), "seq": number})
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(votes(), st.randoms(use_true_random=False))
def test_the_tally_is_independent_of_arrival_and_roll_order(data, rng):
    expected = count.tally(data)
    # when the rows come in another order, and the ballots arrive interleaved differently (per house order kept)
    shuffled = {**data, "roll": rng.sample(data["roll"], len(data["roll"])),
                "ballots": rng.sample(data["ballots"], len(data["ballots"])),
                "items": list(reversed(data["items"]))}
    renumbered = {**data, "ballots": _renumbered(data["ballots"], rng)}
    # then the result, and its digest, are the same
    assert count.tally(shuffled) == expected
    assert count.tally(renumbered) == expected
    assert count.result_digest(count.tally(renumbered)) == count.result_digest(expected)


def _random_dataset(seed: int) -> dict:
    rng = random.Random(seed)
    houses = [(f"1-1-{n}", f"{rng.randint(40, 160)}.{rng.randint(0, 99):02d}", f"u:{n // 3 * 3}")
              for n in range(60)]
    ballots = [{"house": f"1-1-{rng.randrange(60)}", "item": 1, "channel": rng.choice(CHANNELS), "seq": s,
                "choice": rng.choice(["for", "for", "against", "abstain"]), "options": [], "receipt": f"{s:016x}"}
               for s in range(1, 80)]
    return {"vote": {"id": 1}, "rules": NATIONAL, "rule_set": "national", "fund_scope": False,
            "non_voter_clause": "", "roll": roll(*houses), "ballots": ballots,
            "items": [{"id": 1, "position": 1, "matter": "other", "form": "yes_no", "seats": None, "options": []}]}


def test_the_standalone_recount_matches_the_published_result(tmp_path):
    # given a published file with its result digest and the roll digest recorded at the opening
    data = _random_dataset(7)
    data["vote"]["roll_sha256"] = count.roll_digest(data["roll"])
    data["result_sha256"] = count.result_digest(count.tally(data))
    path = tmp_path / "vote-1.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    # when an owner runs the file with plain Python, outside the project
    done = subprocess.run([sys.executable, "-I", str(COUNT_PY), str(path)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    # then it recounts, says it matches, and exits 0
    assert done.returncode == 0, done.stderr
    assert "MATCHES" in done.stdout and "Roll digest matches" in done.stdout


def test_the_standalone_recount_flags_a_tampered_result(tmp_path):
    data = _random_dataset(8)
    result = count.tally(data)
    result["items"][0]["passes"] = not result["items"][0]["passes"]
    data["result"] = result
    data["ballots"] = [*data["ballots"][:-1], {**data["ballots"][-1], "receipt": count.receipt_digest("AB12")[:16]}]
    path = tmp_path / "vote-1.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(COUNT_PY), str(path), "--receipt", "ab12"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "DOES NOT MATCH" in done.stdout and "Ballots with this receipt: 1" in done.stdout
