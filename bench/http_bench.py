"""HTTP benchmark: house search and house detail at 32 concurrent clients, next to two floors on the same server.

For each database (SQLite file in WAL mode, PostgreSQL) it
  1. creates a fresh database, migrates it and loads the demo-size estate 明强小区 (``manage.py seed_demo`` when
     that command exists, otherwise ≈1,700 houses with owners, family members, tenants, vehicles and parking
     spaces made here with bulk_create), a customer-service member and an API token (token_create);
  2. starts gunicorn exactly as bin/serve does (config.wsgi, gthread workers, the same worker and thread counts)
     on 127.0.0.1 and a free port, with GONGZHI_BENCH_FLOORS=1 so that config/bench_urls.py is mounted;
  3. checks every endpoint answers 200 with the expected house, then drives each with wrk (2 threads,
     32 connections, --latency): the endpoints take turns in 2 rounds of a 2 s warm-up and 5 s measured, so
     10 s each; requests/s is the overall rate, p50 the mean of the rounds', p99 the worse round's;
  4. stops the server and drops the database.

The floors: (a) /bench/constant, a constant JSON body; (b) /bench/house/<pk>, one House row by primary key
through House.objects.values(...).get(pk=...). The registry endpoints are called with
``Authorization: Bearer <token>`` as an app calls them. The target: each registry endpoint ≥ half of floor (b).

Needs wrk (Debian/Ubuntu: ``apt-get install wrk``). Run: ``.venv/bin/python bench/http_bench.py [sqlite|postgresql]``
(bench/run.py runs it and rewrites bench/README.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Database, child_env, database, database_kinds, free_port, last_json_line, run_child

CONNECTIONS = 32
WRK_THREADS = 2
WARMUP_SECONDS = 2
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))  # per endpoint, split over the rounds
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "2"))
TARGET_RATIO = 0.5
BENCH_PHONE = "19900009999"
HOUSE_REF = "3-2-1502"
HOUSE_REF_WRITTEN = "3栋2单元1502"

FLOOR_CONSTANT = "floor (a): constant JSON"
FLOOR_PK = "floor (b): one row by pk"


# --- the server, as bin/serve runs it ----------------------------------------------------------------------------
def serve_settings() -> tuple[int, int]:
    """Worker and thread counts read from bin/serve, so the benchmark cannot drift from what is deployed."""
    text = (ROOT / "bin" / "serve").read_text()
    workers = re.search(r"WORKERS=\$\{WEB_WORKERS:-(\d+)\}", text)
    threads = re.search(r"--threads\s+(\d+)", text)
    if not workers or not threads or "--worker-class gthread" not in text or "config.wsgi:application" not in text:
        raise RuntimeError("bin/serve no longer runs gunicorn config.wsgi with gthread workers; update the bench")
    return int(os.environ.get("WEB_WORKERS", workers.group(1))), int(threads.group(1))


def start_server(db: Database, port: int) -> subprocess.Popen:
    workers, threads = serve_settings()
    log = open(db.workdir / "gunicorn.log", "w")  # closed in stop_server
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--access-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=child_env(db, GONGZHI_BENCH_FLOORS="1"), stdout=log, stderr=subprocess.STDOUT)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{(db.workdir / 'gunicorn.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/constant", timeout=2) as response:
                if response.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.log.close()  # type: ignore[attr-defined]


# --- wrk ---------------------------------------------------------------------------------------------------------
def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu), or build it from "
                         "https://github.com/wg/wrk, then run the benchmark again.")
    return path


_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m)$")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/s, p50, p99 and any failures from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"rps": float(rps.group(1)), "p50_ms": _ms(p50.group(1)), "p99_ms": _ms(p99.group(1)),
            "requests": int(total.group(1)), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0}


def wrk(url: str, headers: dict[str, str], seconds: int, *, latency: bool) -> str:
    args = [wrk_path(), f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if latency:
        args.append("--latency")
    done = subprocess.run([*args, url], capture_output=True, text=True, check=True)
    return done.stdout


# --- endpoints ---------------------------------------------------------------------------------------------------
def endpoints(data: dict) -> list[tuple[str, str, str]]:
    """(name, kind, path): the two floors first, then the registry endpoints."""
    e, h = data["estate_id"], data["house_id"]
    return [
        (FLOOR_CONSTANT, "floor", "/bench/constant"),
        (FLOOR_PK, "floor", f"/bench/house/{h}"),
        ("house detail", "registry", f"/api/v1/estates/{e}/houses/{h}"),
        ("search ?q=3-2-1502", "registry", f"/api/v1/estates/{e}/search?q={quote(HOUSE_REF)}"),
        ("house list ?q=3栋2单元1502", "registry", f"/api/v1/estates/{e}/houses?q={quote(HOUSE_REF_WRITTEN)}"),
    ]


def check_answer(name: str, body: dict, house_id: int) -> None:
    """Each endpoint must really answer with the house, or the figures would measure an error page."""
    if name == "house detail":
        ok = body.get("id") == house_id and body.get("code") == HOUSE_REF
    elif name.startswith("search"):
        ok = [h["id"] for h in body.get("houses", [])] == [house_id]
    elif name.startswith("house list"):
        ok = [h["id"] for h in body.get("items", [])] == [house_id]
    elif name == FLOOR_PK:
        ok = body.get("id") == house_id
    else:
        ok = bool(body)
    if not ok:
        raise RuntimeError(f"{name} did not answer with house {house_id}: {json.dumps(body, ensure_ascii=False)[:500]}")


def bench_database(db: Database) -> list[dict]:
    data = last_json_line(run_child([str(Path(__file__).resolve()), "--prepare"],
                                    child_env(db, DEMO_PASSWORD=os.urandom(12).hex() + "Aa1!")))
    headers = {"Authorization": f"Bearer {data['token']}", "Accept": "application/json"}
    port = free_port()
    server = start_server(db, port)
    checked = endpoints(data)
    rounds: dict[str, list[dict]] = {name: [] for name, _kind, _path in checked}
    try:
        for name, _kind, path in checked:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                check_answer(name, json.loads(response.read()), data["house_id"])
        # The endpoints take turns, ROUNDS times, so that a change in the machine's load during the run weighs on
        # the floors and the endpoints alike.
        for _round in range(ROUNDS):
            for name, _kind, path in checked:
                url = f"http://127.0.0.1:{port}{path}"
                wrk(url, headers, WARMUP_SECONDS, latency=False)
                figures = parse_wrk(wrk(url, headers, max(1, SECONDS // ROUNDS), latency=True))
                if figures["non_2xx"] or figures["socket_errors"]:
                    raise RuntimeError(f"{name}: {figures['non_2xx']} non-2xx responses and "
                                       f"{figures['socket_errors']} socket errors under load; see "
                                       f"{db.workdir / 'gunicorn.log'}")
                rounds[name].append(figures)
    finally:
        stop_server(server)
    results = []
    for name, kind, path in checked:
        runs = rounds[name]
        figures = {"rps": sum(r["rps"] for r in runs) / len(runs),  # equal durations: the overall rate
                   "p50_ms": sum(r["p50_ms"] for r in runs) / len(runs),
                   "p99_ms": max(r["p99_ms"] for r in runs),  # the worse round's
                   "requests": sum(r["requests"] for r in runs), "rounds": runs}
        results.append({"bench": "http", "db": db.label, "name": name, "kind": kind, "path": path, **figures})
        print(f"  {db.label:10} {name:28} {figures['rps']:9.0f} req/s  p50 {figures['p50_ms']:6.2f} ms  "
              f"p99 {figures['p99_ms']:6.2f} ms", flush=True)
    workers, threads = serve_settings()
    floor_b = next(r["rps"] for r in results if r["name"] == FLOOR_PK)
    for r in results:
        r["ratio_to_floor_b"] = r["rps"] / floor_b
        r["dataset"] = {k: data[k] for k in ("houses", "persons", "residencies", "vehicles", "seeded_by")}
        r["server"] = f"gunicorn gthread, {workers} workers × {threads} threads"
    return results


def run(kinds: list[str] | None = None) -> list[dict]:
    wrk_path()
    results = []
    for kind, skipped in database_kinds(kinds):
        if skipped:
            print(f"  skipping {kind}: {skipped}", flush=True)
            results.append({"bench": "http", "db": kind, "skipped": skipped})
            continue
        with database(kind) as db:
            results += bench_database(db)
    return results


# --- the data set (runs in a child process with DATABASE_URL set) ------------------------------------------------
def seed_registry():
    """The demo-size estate, made with bulk_create: 12 buildings × 2 units × 18 floors × 4 houses (1,728), about
    85 % sold with owners (every 7th sold house co-owned), family members, tenants, ≈900 vehicles, parking."""
    import datetime
    from decimal import Decimal

    from gongzhi.estate.models import (
        Building,
        Company,
        Estate,
        House,
        ParkingLot,
        ParkingSpace,
        Person,
        Residency,
        Unit,
        Vehicle,
    )
    from gongzhi.estate.validators import PROVINCES, id_checksum

    company = Company.objects.create(name="明强物业")
    estate = Estate.objects.create(company=company, name="明强小区", address="北京市朝阳区明强路1号",
                                   city_code="110105")
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=str(b), sort_key=b, floors=18) for b in range(1, 13)])
    units = Unit.objects.bulk_create(
        [Unit(estate=estate, building=b, name=str(u), sort_key=u, floors=18, has_elevator=True)
         for b in buildings for u in (1, 2)])
    houses = []
    for unit in units:
        for floor in range(1, 19):
            for door in range(1, 5):
                i = len(houses)
                area = Decimal(60 + (i * 37) % 100) + Decimal("0.45")
                sold = i % 20 not in (0, 7, 13)
                houses.append(House(
                    estate=estate, building=unit.building, unit=unit, number=f"{floor}{door:02d}", floor=floor,
                    area_m2=area, inner_area_m2=(area * Decimal("0.8")).quantize(Decimal("0.01")),
                    area_source="register", status=("rented" if i % 10 == 3 else "occupied") if sold else "unsold",
                    developer_held=not sold))
    houses = House.objects.bulk_create(houses)

    people: list[Person] = []

    def person(name: str) -> Person:
        n = len(people)
        first17 = f"110105{datetime.date(1960, 1, 1) + datetime.timedelta(days=n // 900):%Y%m%d}{n % 900 + 100:03d}"
        p = Person(estate=estate, name=name, mobile=f"13{n:09d}", id_type="resident_id",
                   id_number=first17 + id_checksum(first17))
        people.append(p)
        return p

    links = []  # (house, person, kind, share, representative)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    for i, house in enumerate(houses):
        if house.developer_held:
            continue
        owner = person(surnames[i % len(surnames)] + given[i % len(given)] + given[(i // len(given)) % len(given)])
        if i % 7 == 0:
            co_owner = person(surnames[(i + 3) % len(surnames)] + given[(i + 5) % len(given)])
            links += [(house, owner, "co_owner", Decimal("0.5"), True),
                      (house, co_owner, "co_owner", Decimal("0.5"), False)]
        else:
            links.append((house, owner, "owner", None, True))
        if i % 3 == 0:
            links.append((house, person(surnames[i % len(surnames)] + given[(i + 7) % len(given)]), "family", None, False))
        if house.status == "rented":
            links.append((house, person(surnames[(i + 11) % len(surnames)] + given[(i + 2) % len(given)]), "tenant", None, False))
    people = Person.objects.bulk_create(people)
    residencies = Residency.objects.bulk_create(
        [Residency(estate=estate, house=h, person=p, kind=k, share=s, is_representative=r,
                   start_date=datetime.date(2019, 6, 1)) for h, p, k, s, r in links])
    owners = [(h, p) for h, p, k, _s, r in links if r]
    vehicles = Vehicle.objects.bulk_create(
        [Vehicle(estate=estate, plate=f"{PROVINCES[n % 31]}{'ABCDEFGHJK'[n % 10]}{n:05d}", kind="ordinary",
                 person=p, house=h) for n, (h, p) in enumerate(owners) if n % 8 < 5])
    lot = ParkingLot.objects.create(estate=estate, name="地下车库", kind="underground")
    ParkingSpace.objects.bulk_create(
        [ParkingSpace(estate=estate, lot=lot, number=f"B{n + 1:03d}", status="sold" if n < len(owners) // 4 else "free",
                      holder=owners[n * 4][1] if n < len(owners) // 4 else None,
                      house=owners[n * 4][0] if n < len(owners) // 4 else None) for n in range(600)])
    return estate, {"houses": len(houses), "persons": len(people), "residencies": len(residencies),
                    "vehicles": len(vehicles)}


def prepare() -> dict:
    """The data set, a customer-service member and their API token; prints what the load generator needs."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command, get_commands

    from gongzhi.accounts.models import Membership
    from gongzhi.accounts.services import token_create, user_create
    from gongzhi.estate.models import Estate, House, Person, Residency, Vehicle
    from gongzhi.estate.validators import parse_house_ref

    if "seed_demo" in get_commands():
        call_command("seed_demo", verbosity=0)
        estate = Estate.objects.get(name="明强小区")
        seeded_by = "manage.py seed_demo"
    else:
        estate, _counts = seed_registry()
        seeded_by = "bench/http_bench.py (bulk_create; seed_demo did not exist yet)"
    user = user_create(actor_user=None, phone=BENCH_PHONE, name="压测客服", password=None)
    Membership.objects.create(user=user, estate=estate, role="customer_service")
    _token, raw = token_create(user=user, name="bench", estate_ids=[estate.pk], days=1)
    ref = parse_house_ref(HOUSE_REF)
    house = House.objects.get(estate=estate, building__name=ref.building, unit__name=ref.unit, number=ref.number)
    return {"estate_id": estate.pk, "house_id": house.pk, "token": raw, "seeded_by": seeded_by,
            "houses": House.objects.filter(estate=estate).count(),
            "persons": Person.objects.filter(estate=estate).count(),
            "residencies": Residency.objects.filter(estate=estate).count(),
            "vehicles": Vehicle.objects.filter(estate=estate).count(),
            "house_people": Residency.objects.filter(house=house).count()}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--prepare"]:
        print(json.dumps(prepare()))
        return
    results = run(argv or None)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
