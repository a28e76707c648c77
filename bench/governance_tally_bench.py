"""Owners' vote tally benchmark (issue 6, "Speed"): tallying a vote of 100,000 houses with 3 items in under 2 s on
PostgreSQL and SQLite, next to a floor measured in the same run.

For each database (SQLite file in WAL mode, PostgreSQL in a scratch database ``gz_bench_tally``, dropped after) it
creates a fresh migrated database and, in a child process,
  1. seeds an estate of ``BENCH_TALLY_HOUSES`` (100,000) houses with bulk inserts (no services): owners, a few
     owners of two houses, co-owners, developer-held houses, houses with no registered owner;
  2. freezes the roll (``roll_freeze``, timed once: a figure, not the target) and writes the ballots in bulk: three
     items (a yes/no matter (7), a choose-one, an election of 5 seats out of 9), about 70 % turnout per item, mixed
     channels (online, written with a scan, on site) and about 5 % replaced ballots;
  3. times ``gongzhi.governance.tally.vote_tally(vote)`` end to end (reading the roll and the ballots, building the
     published form, ``count.tally``): best of ``BENCH_TALLY_RUNS`` (3), each on a fresh connection;
  4. times the floor: the bare ``SELECT`` of the same ballot and roll rows through a cursor, fetched, nothing else.

Run: ``.venv/bin/python bench/governance_tally_bench.py [sqlite|postgresql]``; prints progress, a markdown table and
a JSON line of figures per database (it does not write bench/README.md).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import database, database_kinds, measure_in_child, setup_django

HOUSES = int(os.environ.get("BENCH_TALLY_HOUSES", "100000"))
RUNS = int(os.environ.get("BENCH_TALLY_RUNS", "3"))
TARGET_SECONDS = 2.0
POSTGRES_URL = os.environ.get("BENCH_TALLY_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gz_bench_tally")
BATCH = 5000


def seed(houses: int) -> dict:
    """The registry and an open vote with its frozen roll and ballots, written in bulk."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from gongzhi.estate.models import Building, Company, Estate, House, Person, Residency, Unit
    from gongzhi.governance.models import Ballot, Vote, VoteDocument, VoteItem, VoteOption
    from gongzhi.governance.roll import roll_freeze

    rng = random.Random(6)
    began = time.perf_counter()
    company = Company.objects.create(name="明强物业")
    estate = Estate.objects.create(company=company, name="明强小区")
    user = get_user_model().objects.create_user(phone="13900000066", name="bench")
    with transaction.atomic():
        per_unit = 100
        buildings = Building.objects.bulk_create(
            [Building(estate=estate, name=str(b + 1), sort_key=b) for b in range((houses + 999) // 1000)])
        units = Unit.objects.bulk_create([Unit(estate=estate, building=b, name=str(u + 1), sort_key=u)
                                          for b in buildings for u in range(1000 // per_unit)])
        rows = []
        for n in range(houses):
            unit = units[n // per_unit]
            status = "unsold" if n % 500 == 0 else "occupied"
            area = Decimal(rng.randint(4000, 16000)).scaleb(-2)
            rows.append(House(estate=estate, building_id=unit.building_id, unit=unit, number=str(n % per_unit + 1),
                              area_m2=area, area_source=rng.choice(["register", "register", "survey", "contract"]),
                              status=status, developer_held=n % 997 == 0))
        House.objects.bulk_create(rows, batch_size=BATCH)
        house_ids = list(House.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))
        persons = Person.objects.bulk_create([Person(estate=estate, name=f"业主{n}") for n in range(houses)],
                                             batch_size=BATCH)
        start = datetime.date(2020, 1, 1)
        residencies = []
        for n, house_id in enumerate(house_ids):
            if n % 500 == 0 or n % 97 == 5:  # developer's unsold houses; some owners not registered
                continue
            owner = persons[n - 1] if n % 50 == 1 else persons[n]  # every 50th owner also owns the next house
            residencies.append(Residency(estate=estate, house_id=house_id, person=owner, kind="owner",
                                         is_representative=True, start_date=start))
            if n % 20 == 3:  # co-owners
                residencies.append(Residency(estate=estate, house_id=house_id, person=persons[(n + 7) % houses],
                                             kind="co_owner", start_date=start))
        Residency.objects.bulk_create(residencies, batch_size=BATCH)
        now = timezone.now()
        vote = Vote.objects.create(estate=estate, title="业主大会", opens_at=now, closes_at=now + datetime.timedelta(days=20),
                                   opened_at=now, status="open", created_by=user)
        items = [VoteItem.objects.create(estate=estate, vote=vote, position=1, title="外立面改造", matter="rebuild"),
                 VoteItem.objects.create(estate=estate, vote=vote, position=2, title="选聘物业", matter="company",
                                         form="choose_one"),
                 VoteItem.objects.create(estate=estate, vote=vote, position=3, title="选举业委会", matter="committee",
                                         form="election", seats=5)]
        choose = [VoteOption.objects.create(estate=estate, item=items[1], position=k + 1, label=f"公司{k + 1}").pk
                  for k in range(3)]
        candidates = [VoteOption.objects.create(estate=estate, item=items[2], position=k + 1, label=f"候选人{k + 1}").pk
                      for k in range(9)]
        seeded_at = time.perf_counter()
        roll_freeze(vote=vote)
        freeze_seconds = time.perf_counter() - seeded_at
        scan = VoteDocument.objects.create(estate=estate, file="governance/bench/scan.png", name="scan.png",
                                           content_type="image/png", size=1, sha256="0" * 64)
        ballots = []
        for item in items:
            for house_id in house_ids:
                if rng.random() >= 0.7:
                    continue
                for _again in range(2 if rng.random() < 0.05 else 1):  # about 5 % replaced
                    channel = rng.choices(["online", "written", "onsite"], weights=[80, 15, 5])[0]
                    choice, options = "", []
                    if item.form == "yes_no":
                        choice = rng.choices(["for", "against", "abstain"], weights=[80, 12, 8])[0]
                    elif item.form == "choose_one":
                        options = [rng.choices(choose, weights=[60, 30, 10])[0]]
                    else:
                        options = rng.sample(candidates[:7], 4) if rng.random() < 0.9 else []
                    ballots.append(Ballot(estate=estate, vote=vote, item=item, house_id=house_id, channel=channel,
                                          choice=choice, options=options, scan=scan if channel == "written" else None,
                                          receipt_sha256=f"{rng.getrandbits(256):064x}"))
                    if len(ballots) == BATCH:
                        Ballot.objects.bulk_create(ballots)
                        ballots = []
        Ballot.objects.bulk_create(ballots)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("governance_ballot", "governance_rollentry"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return {"vote_id": vote.pk, "houses": houses, "ballots": Ballot.objects.filter(vote=vote).count(),
            "seed_seconds": time.perf_counter() - began, "freeze_seconds": freeze_seconds}


def floor(vote_id: int) -> tuple[float, int]:
    """The bare SELECT of the same rows the tally reads (ballots and roll), fetched through a cursor."""
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT item_id, house_id, channel, choice, options, receipt_sha256 FROM governance_ballot "
                       "WHERE vote_id = %s ORDER BY id", [vote_id])
        rows = len(cursor.fetchall())
        cursor.execute("SELECT house_id, house_code, area_m2, area_source, head_unit, head_kind "
                       "FROM governance_rollentry WHERE vote_id = %s ORDER BY house_id", [vote_id])
        rows += len(cursor.fetchall())
    return time.perf_counter() - began, rows


def measure() -> dict:
    setup_django()
    from django.db import connection

    from gongzhi.governance import count
    from gongzhi.governance.models import Vote
    from gongzhi.governance.tally import vote_dataset, vote_tally

    seeded = seed(HOUSES)
    print(f"    seeded {seeded['houses']:,} houses, {seeded['ballots']:,} ballots in {seeded['seed_seconds']:.1f} s; "
          f"roll_freeze {seeded['freeze_seconds']:.2f} s", flush=True)
    runs, floors, engine = [], [], []
    result = None
    for _run in range(RUNS):
        connection.close()
        vote = Vote.objects.get(pk=seeded["vote_id"])
        began = time.perf_counter()
        result = vote_tally(vote)
        runs.append(time.perf_counter() - began)
        connection.close()
        seconds, rows = floor(vote.pk)
        floors.append(seconds)
        dataset = vote_dataset(vote, include_houses=True)
        began = time.perf_counter()
        count.tally(dataset)
        engine.append(time.perf_counter() - began)
        print(f"    vote_tally {runs[-1]:.3f} s; SELECT floor {seconds:.3f} s ({rows:,} rows); count.tally alone "
              f"{engine[-1]:.3f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
    items = result["items"]
    return {"houses": HOUSES, "ballots": seeded["ballots"], "counted": sum(i["counted"] for i in items),
            "heads": result["total_heads"], "tally_seconds": min(runs), "tally_runs": runs,
            "floor_seconds": min(floors), "floor_runs": floors, "engine_seconds": min(engine),
            "freeze_seconds": seeded["freeze_seconds"], "seed_seconds": seeded["seed_seconds"],
            "passes": result["passes_by_item"], "load_average": os.getloadavg()[0]}


def bench(kind: str) -> dict:
    with database(kind, POSTGRES_URL) as db:
        return measure_in_child(db, __file__, f"seeding {HOUSES:,} houses and tallying",
                                BENCH_TALLY_HOUSES=str(HOUSES), BENCH_TALLY_RUNS=str(RUNS))


def table(results: list[dict]) -> str:
    lines = ["| database | houses | ballots (counted) | vote_tally (s) | SELECT floor (s) | count.tally alone (s) | "
             "target | result | roll_freeze (s) | load average |", "|---|---:|---:|---:|---:|---:|---|---|---:|---:|"]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['db']} | skipped: {r['skipped']} | | | | | | | | |")
            continue
        ok = r["tally_seconds"] < TARGET_SECONDS
        lines.append(f"| {r['db']} | {r['houses']:,} | {r['ballots']:,} ({r['counted']:,}) | {r['tally_seconds']:.3f} | "
                     f"{r['floor_seconds']:.3f} | {r['engine_seconds']:.3f} | < {TARGET_SECONDS:.0f} s | "
                     f"{'pass' if ok else '**fail**'} | {r['freeze_seconds']:.2f} | {r['load_average']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure()))
        return
    results = []
    for kind, skipped in database_kinds(argv or None):
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        results.append({"db": label, "skipped": skipped} if skipped else bench(kind))
        print(json.dumps(results[-1]), flush=True)
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
