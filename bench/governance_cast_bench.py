#!/usr/bin/env python
"""Casting ballots online under load: gunicorn (as ``bin/serve`` runs it, see http_bench.start_server) on a fresh
SQLite and PostgreSQL database, and 32 concurrent clients, each house's owner with their own API token, posting
their house's ballot to ``POST /api/v1/estates/{estate_id}/votes/{vote_id}/ballots`` (every house once: the roll
entry locked, the voter checked against the frozen roll, the answers validated, the ballot and its audit entry
written, the receipt returned). The floor, measured in the same run against the same server: the same clients
reading the vote (``GET .../votes/{vote_id}``, authenticated, items and options included). Prints a Markdown table
and a JSON line.

    .venv/bin/python bench/governance_cast_bench.py [sqlite] [postgresql]

BENCH_CAST_HOUSES (default 3000), BENCH_CAST_CLIENTS (default 32). The estate, owners, logins and tokens are
seeded by rows; the vote is drafted and opened through the services (the roll frozen by ``roll_freeze``)."""

import http.client
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_bench as hb
from bench.common import (
    child_env,
    database,
    last_json_line,
    one_unit_estate,
    run_child,
    server_bench_main,
    setup_django,
)

HOUSES = int(os.environ.get("BENCH_CAST_HOUSES", "3000"))
CLIENTS = int(os.environ.get("BENCH_CAST_CLIENTS", "32"))
SELF = str(Path(__file__).resolve())


def prepare(count: int) -> dict:
    """Child: an estate of ``count`` houses, each with an owner who has a login, a membership and an API token; an
    open vote with a yes/no item and a choose-one item."""
    setup_django()
    import datetime
    import secrets
    from decimal import Decimal

    from django.utils import timezone

    from gongzhi.accounts.models import ApiToken, Membership, User
    from gongzhi.accounts.services import TOKEN_PREFIX, hash_token
    from gongzhi.core.access import resolve_actor
    from gongzhi.estate.models import Person, Residency
    from gongzhi.governance import votes
    from gongzhi.governance.choices import BallotForm, Matter

    estate, houses = one_unit_estate(count, lambda i: Decimal(f"{60 + i % 90}.{i % 100:02d}"))
    users = User.objects.bulk_create([User(phone=f"139{i:08d}", name=f"业主{i}", password="!") for i in range(count)])
    Membership.objects.bulk_create([Membership(user=u, estate=estate, role="owner") for u in users])
    people = Person.objects.bulk_create([Person(estate=estate, name=f"业主{i}", user=u) for i, u in enumerate(users)])
    Residency.objects.bulk_create([Residency(estate=estate, house=h, person=p, kind="owner", is_representative=True,
                                             start_date=datetime.date(2020, 1, 1))
                                   for h, p in zip(houses, people, strict=True)])
    raws = [f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}" for _ in users]
    expires = timezone.now() + datetime.timedelta(days=1)
    ApiToken.objects.bulk_create([ApiToken(user=u, name="bench", prefix=raw[len(TOKEN_PREFIX):][:8],
                                           key_hash=hash_token(raw), estate_ids=[estate.pk], expires_at=expires)
                                  for u, raw in zip(users, raws, strict=True)])
    chair = User.objects.create(phone="13899999999", name="业委会主任", password="!")
    Membership.objects.create(user=chair, estate=estate, role="committee_chair")
    actor = resolve_actor(chair, estate.pk)
    now = timezone.now()
    vote = votes.vote_create(actor=actor, title="基准表决", opens_at=now - datetime.timedelta(minutes=1),
                             closes_at=now + datetime.timedelta(days=20))
    yes_no = votes.vote_item_add(actor=actor, vote_id=vote.pk, title="同意外墙翻新", matter=Matter.OTHER)
    pick = votes.vote_item_add(actor=actor, vote_id=vote.pk, title="选择颜色", matter=Matter.OTHER,
                               form=BallotForm.CHOOSE_ONE, options=[{"label": "米白"}, {"label": "浅灰"}])
    started = time.perf_counter()
    votes.vote_open(actor=actor, vote_id=vote.pk, notice=False)
    opened = time.perf_counter() - started
    return {"estate_id": estate.pk, "vote_id": vote.pk, "yes_no": yes_no.pk, "pick": pick.pk,
            "options": list(pick.options.values_list("pk", flat=True)), "open_seconds": opened,
            "houses": [[h.pk, raw] for h, raw in zip(houses, raws, strict=True)]}


def check(vote_id: int) -> dict:
    """Child: what the casts wrote."""
    setup_django()
    from gongzhi.governance.models import Ballot

    ballots = Ballot.objects.filter(vote_id=vote_id)
    return {"ballots": ballots.count(), "houses": ballots.values("house_id").distinct().count()}


def fire(port: int, jobs: list[tuple[str, str, dict, bytes | None]]) -> dict:
    """Send every job (method, path, headers, body) from CLIENTS threads with keep-alive connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock, cursor = threading.Lock(), iter(range(len(jobs)))

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            method, path, headers, body = jobs[index]
            began = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {"requests": len(latencies), "seconds": round(wall, 2), "rps": round(len(latencies) / wall, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1), "statuses": statuses}


def bench(kind: str) -> dict:
    with database(kind) as db:
        data = last_json_line(run_child([SELF, "--prepare", str(HOUSES)], child_env(db), timeout=1800))
        base = f"/api/v1/estates/{data['estate_id']}/votes/{data['vote_id']}"
        reads, casts = [], []
        for i, (house_id, raw) in enumerate(data["houses"]):
            auth = {"Authorization": f"Bearer {raw}"}
            reads.append(("GET", base, auth, None))
            answers = {str(data["yes_no"]): {"choice": ("for", "against", "abstain")[i % 3]},
                       str(data["pick"]): {"options": [data["options"][i % 2]]}}
            body = json.dumps({"house_id": house_id, "answers": answers, "idempotency_key": f"bench-{i}"}).encode()
            casts.append(("POST", base + "/ballots", {**auth, "Content-Type": "application/json"}, body))
        port = hb.free_port()
        server = hb.start_server(db, port)
        try:
            floor = fire(port, reads)
            cast = fire(port, casts)
        finally:
            hb.stop_server(server)
        written = last_json_line(run_child([SELF, "--check", str(data["vote_id"])], child_env(db)))
        consistent = written == {"ballots": 2 * HOUSES, "houses": HOUSES} and cast["statuses"] == {201: HOUSES}
        return {"db": db.label, "houses": HOUSES, "clients": CLIENTS, "open_seconds": round(data["open_seconds"], 2),
                "floor": floor, "cast": cast, "written": written, "consistent": consistent}


def table(rows: list[dict]) -> str:
    out = ["| database | houses | clients | request | req/s | p50 ms | p99 ms | statuses | consistent |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for name, f in (("floor: GET the vote", r["floor"]), ("cast online (2 items)", r["cast"])):
            out.append(f"| {r['db']} | {r['houses']} | {r['clients']} | {name} | {f['rps']:.0f} | {f['p50_ms']:.1f} | "
                       f"{f['p99_ms']:.1f} | {f['statuses']} | {'yes' if r['consistent'] else 'NO'} |")
    return "\n".join(out)


def main(argv: list[str]) -> None:
    rows = server_bench_main(argv, prepare=prepare, check=check, bench=bench, table=table,
                             describe=f"{HOUSES} houses, {CLIENTS} clients")
    if rows:
        print(json.dumps({"bench": "governance_cast", "rows": rows}))



if __name__ == "__main__":
    main(sys.argv[1:])
