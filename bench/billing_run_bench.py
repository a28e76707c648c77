"""Bill-run benchmark (issue 4, "Speed"): a monthly bill run of 100,000 houses at ≥ 50,000 bill lines per second,
rules evaluated and rows stored, next to a raw bulk insert of the same rows measured in the same run.

For each database (SQLite file in WAL mode, PostgreSQL in a scratch database ``gz_bench_billing``, dropped after)
it creates a fresh migrated database and, in a child process,
  1. builds an estate of ``BENCH_BILLING_HOUSES`` (100,000) houses in 100 buildings (bulk inserts): residential,
     commercial and storage houses of varied areas, one owner each (every 50th a co-owned house with a
     representative, every 40th rented to a tenant, every 200th sold in the middle of the month, every 100th held
     by the developer, every 30th vacant), 20 % with a parking space; fee items: the property fee per m² by house
     kind (with a rate change on the 16th for commercial houses), a fixed garbage fee and parking rent; a 50 %
     vacant-house discount on the property fee;
  2. times ``gongzhi.billing.runs.bill_run_issue`` of the next month for the whole estate (facts loaded, rules
     evaluated, bills and lines stored, one ledger entry, audit), then re-runs it (idempotent: nothing written);
  3. times the floor: the same bill and line rows read back from the tables and inserted again into the same
     tables (new ids; same indexes and foreign keys; committed) with a raw ``COPY`` (PostgreSQL, rows prepared as
     COPY text first) or ``executemany`` (SQLite) alone.

Run: ``.venv/bin/python bench/billing_run_bench.py [sqlite|postgresql]``; prints a Markdown table (it does not
write bench/README.md). ``BENCH_BILLING_HOUSES`` sets the number of houses; ``BENCH_BILLING_POSTGRES_URL`` the
scratch database.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, database, database_kinds, measure_in_child, setup_django

HOUSES = int(os.environ.get("BENCH_BILLING_HOUSES", "100000"))
TARGET_LINES_PER_SECOND = 50_000
POSTGRES_URL = os.environ.get("BENCH_BILLING_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gz_bench_billing")
BUILDINGS = 100


# --- the data set (child process) --------------------------------------------------------------------------------
def seed(count: int, period_start: datetime.date) -> dict:
    from django.db import transaction

    from gongzhi.accounts.models import Membership, User
    from gongzhi.billing.choices import DiscountKind, FeeKind, LedgerCode
    from gongzhi.billing.models import Discount, FeeItem, FeeRule
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
    )

    began = time.perf_counter()
    with transaction.atomic():
        company = Company.objects.create(name="明强物业")
        estate = Estate.objects.create(company=company, name="明强小区", address="北京市朝阳区明强路1号")
        buildings = Building.objects.bulk_create([Building(estate=estate, name=str(b + 1), sort_key=b)
                                                  for b in range(BUILDINGS)])
        units = Unit.objects.bulk_create([Unit(estate=estate, building=b, name=str(u + 1)) for b in buildings
                                          for u in range(2)])
        per_unit = -(-count // len(units))
        kinds = ["residential"] * 8 + ["commercial", "storage"]
        houses = []
        for i in range(count):
            unit = units[i // per_unit]
            n = i % per_unit
            houses.append(House(estate=estate, building_id=unit.building_id, unit=unit, number=f"{n // 4 + 1}{n % 4 + 1:02d}",
                                floor=n // 4 + 1, kind=kinds[i % 10], area_m2=Decimal(6000 + (i * 37) % 9000).scaleb(-2),
                                area_source="register", status="vacant" if i % 30 == 0 else "occupied",
                                developer_held=i % 100 == 1))
        houses = House.objects.bulk_create(houses, batch_size=5000)
        persons = Person.objects.bulk_create([Person(estate=estate, name=f"业主{i}") for i in range(count + count // 40
                                                                                                 + count // 50
                                                                                                 + count // 200)],
                                             batch_size=5000)
        extra = iter(persons[count:])
        residencies = []
        mid = period_start + datetime.timedelta(days=15)
        for i, house in enumerate(houses):
            owner = persons[i]
            if i % 200 == 7:  # sold on the 16th: the old owner until the 15th, the buyer from the 16th
                residencies.append(Residency(estate=estate, house=house, person=owner, kind="owner",
                                             is_representative=False, start_date=datetime.date(2015, 1, 1),
                                             end_date=mid - datetime.timedelta(days=1)))
                residencies.append(Residency(estate=estate, house=house, person=next(extra), kind="owner",
                                             is_representative=True, start_date=mid))
                continue
            residencies.append(Residency(estate=estate, house=house, person=owner, kind="owner",
                                         is_representative=True, start_date=datetime.date(2015, 1, 1)))
            if i % 50 == 3:
                residencies.append(Residency(estate=estate, house=house, person=next(extra), kind="co_owner",
                                             start_date=datetime.date(2015, 1, 1)))
            if i % 40 == 5:
                residencies.append(Residency(estate=estate, house=house, person=next(extra), kind="tenant",
                                             start_date=datetime.date(2024, 1, 1)))
        Residency.objects.bulk_create(residencies, batch_size=5000)
        lot = ParkingLot.objects.create(estate=estate, name="B1", kind="underground")
        ParkingSpace.objects.bulk_create([ParkingSpace(estate=estate, lot=lot, number=f"{i:06d}", status="rented",
                                                       house=house) for i, house in enumerate(houses) if i % 5 == 2],
                                         batch_size=5000)
        since = datetime.date(2020, 1, 1)
        prop = FeeItem.objects.create(estate=estate, code="property", name="物业费", kind=FeeKind.AREA,
                                      ledger_code=LedgerCode.PROPERTY, sort_key=1)
        garbage = FeeItem.objects.create(estate=estate, code="garbage", name="垃圾清运费", kind=FeeKind.FIXED,
                                         ledger_code=LedgerCode.OTHER, sort_key=2)
        parking = FeeItem.objects.create(estate=estate, code="parking", name="车位租金", kind=FeeKind.PARKING,
                                         ledger_code=LedgerCode.PARKING, sort_key=3)
        FeeRule.objects.bulk_create([
            FeeRule(estate=estate, fee_item=prop, rate=Decimal("2.20"), effective_from=since),
            FeeRule(estate=estate, fee_item=prop, house_kind="commercial", rate=Decimal("4.50"),
                    effective_from=since, effective_to=mid - datetime.timedelta(days=1)),
            FeeRule(estate=estate, fee_item=prop, house_kind="commercial", rate=Decimal("4.80"), effective_from=mid),
            FeeRule(estate=estate, fee_item=prop, house_kind="storage", rate=Decimal("1.10"), effective_from=since),
            FeeRule(estate=estate, fee_item=garbage, rate=Decimal("15.00"), effective_from=since),
            FeeRule(estate=estate, fee_item=parking, rate=Decimal("150.00"), effective_from=since),
        ])
        Discount.objects.create(estate=estate, kind=DiscountKind.VACANT, fee_item=prop, percent=Decimal("50"),
                                effective_from=since)
        user = User.objects.create(phone="13900000001", name="财务")
        Membership.objects.create(user=user, estate=estate, role="finance")
    _analyze()
    return {"estate_id": estate.pk, "user_id": user.pk, "houses": count, "seed_seconds": time.perf_counter() - began}


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- the measurement (child process) -----------------------------------------------------------------------------
def measure() -> dict:
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.billing import writer
    from gongzhi.billing.calc import add_months
    from gongzhi.billing.models import Bill, BillLine
    from gongzhi.billing.runs import bill_run_issue
    from gongzhi.core.access import resolve_actor

    period_start = add_months(timezone.localdate(), 1)
    seeded = seed(HOUSES, period_start)
    actor = resolve_actor(User.objects.get(pk=seeded["user_id"]), seeded["estate_id"])

    began = time.perf_counter()
    run = bill_run_issue(actor=actor, period_kind="month", period_start=period_start)
    run_seconds = time.perf_counter() - began
    began = time.perf_counter()
    again = bill_run_issue(actor=actor, period_kind="month", period_start=period_start)
    rerun_seconds = time.perf_counter() - began
    assert again.pk == run.pk and again.bills_count == run.bills_count
    bills = Bill.objects.filter(run=run).count()
    lines = BillLine.objects.filter(bill__run=run).count()
    assert (bills, lines) == (run.bills_count, run.lines_count), (bills, lines, run.bills_count, run.lines_count)

    # the floor: the same rows inserted again into the same tables (same indexes, same foreign keys, committed),
    # by the raw bulk insert alone: new ids, the payer key marked (one periodic bill per payer), no run, no reading
    bill_cols = ", ".join(f'"{c}"' for c in writer.BILL_COLUMNS)
    line_cols = ", ".join(f'"{c}"' for c in writer.LINE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {bill_cols} FROM billing_bill ORDER BY id")
        bill_rows = cursor.fetchall()
        cursor.execute(f"SELECT {line_cols} FROM billing_billline ORDER BY id")
        line_rows = cursor.fetchall()
    shift_b = max(r[0] for r in bill_rows)
    bill_rows = [(r[0] + shift_b, r[1], None, *r[3:10], f"{r[10]}~", *r[11:]) for r in bill_rows]
    # lines as the writer sends them: no id (the database assigns it), no reading
    line_rows = [(r[0], r[1] + shift_b, *r[2:11], None, r[12]) for r in line_rows]
    if connection.vendor == "postgresql":  # the floor gets its COPY text ready-made: only the database's work is timed
        bill_text = [_copy_row(r) for r in bill_rows]
        line_text = [_copy_row(r) for r in line_rows]
    else:
        bill_rows = [tuple(str(v) if isinstance(v, Decimal) else v for v in r) for r in bill_rows]
        line_rows = [tuple(str(v) if isinstance(v, Decimal) else v for v in r) for r in line_rows]
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, cols, text in (("billing_bill", bill_cols, bill_text), ("billing_billline", line_cols, line_text)):
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for start in range(0, len(text), 5000):
                        copy.write("".join(text[start:start + 5000]))
        else:
            raw = connection.connection.cursor()
            marks = ", ".join("?" * len(writer.BILL_COLUMNS))
            raw.executemany(f"INSERT INTO billing_bill ({bill_cols}) VALUES ({marks})", bill_rows)
            marks = ", ".join("?" * len(writer.LINE_COLUMNS))
            raw.executemany(f"INSERT INTO billing_billline ({line_cols}) VALUES ({marks})", line_rows)
    floor_seconds = time.perf_counter() - began
    return {"houses": HOUSES, "bills": bills, "lines": lines, "run_seconds": run_seconds,
            "rerun_seconds": rerun_seconds, "floor_seconds": floor_seconds, "seed_seconds": seeded["seed_seconds"],
            "total": str(run.total), "load_average": os.getloadavg()[0]}


def _copy_row(row: tuple) -> str:
    from gongzhi.billing.calc import dumps
    from gongzhi.billing.writer import NULL, esc

    def one(v) -> str:
        if v is None:
            return NULL
        if isinstance(v, dict):
            return esc(dumps(v))
        if isinstance(v, datetime.date):
            return v.isoformat()
        return esc(str(v))

    return "\t".join(one(v) for v in row) + "\n"


# --- the parent --------------------------------------------------------------------------------------------------
def bench(kind: str) -> dict:
    with database(kind, POSTGRES_URL) as db:
        return measure_in_child(db, __file__, f"building {HOUSES:,} houses and running the month",
                                BENCH_BILLING_HOUSES=str(HOUSES))


def table(results: list[dict]) -> str:
    rows = ["| database | houses | bills | lines | bill run (s) | lines/s | raw insert of the same rows (s) | "
            "raw lines/s | re-run (s) | target | result | load average |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for r in results:
        if "skipped" in r:
            rows.append(f"| {r['db']} | skipped: {r['skipped']} | | | | | | | | | | |")
            continue
        rate = r["lines"] / r["run_seconds"]
        floor = r["lines"] / r["floor_seconds"]
        ok = rate >= TARGET_LINES_PER_SECOND
        rows.append(f"| {r['db']} | {r['houses']:,} | {r['bills']:,} | {r['lines']:,} | {r['run_seconds']:.2f} | "
                    f"{rate:,.0f} | {r['floor_seconds']:.2f} | {floor:,.0f} | {r['rerun_seconds']:.2f} | "
                    f"≥ {TARGET_LINES_PER_SECOND:,} lines/s | {'pass' if ok else '**fail**'} | "
                    f"{r['load_average']:.1f} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure()))
        return
    kinds = [a for a in argv if a in {"sqlite", "postgresql"}] or None
    results = []
    for kind, skipped in database_kinds(kinds):
        if skipped:
            results.append({"db": kind, "skipped": skipped})
            continue
        results.append(bench(kind))
    print()
    print(table(results))
    print()
    print(f"(bill run: bill_run_issue of one month for the whole estate, facts loaded, rules evaluated, rows stored, "
          f"one ledger entry; raw insert: the same bill and line rows, already in memory (as COPY text on "
          f"PostgreSQL), inserted again into the same tables (indexes, foreign keys, commit); {os.cpu_count()} cores; root {ROOT})")


if __name__ == "__main__":
    main(sys.argv[1:])
