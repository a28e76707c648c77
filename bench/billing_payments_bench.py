"""Payments benchmark (issue 4): the cash desk's ``payment_record`` one payment after another (allocation, receipt
number under the counter lock, ledger entry, audit), and ``prepayment_apply`` drawing the prepayment balances of a
whole estate into its new bills in one call, next to the same call when no house has a balance.

For each database (SQLite file in WAL mode, PostgreSQL in a scratch database ``gz_bench_payments``, dropped after)
it creates a fresh migrated database and, in a child process,
  1. builds an estate of ``BENCH_PAYMENTS_HOUSES`` (5,000) houses with one open bill each (bulk inserts);
  2. times ``BENCH_PAYMENTS_COUNT`` (500) cash payments at the desk, each settling one house's bill (payments/s and
     the median and p99 of one payment);
  3. times ``prepayment_apply(estate=...)`` while no house has a balance (and counts its queries);
  4. gives every house a prepayment balance of 500.00 and a second bill, then times ``prepayment_apply`` over all
     of them (each house's open bills settled oldest first, one ledger entry): houses/s.

Run: ``.venv/bin/python bench/billing_payments_bench.py [sqlite|postgresql]``; prints a Markdown table (it does not
write bench/README.md).
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Database, child_env, database_kinds, last_json_line, migrate, run_child, setup_django

HOUSES = int(os.environ.get("BENCH_PAYMENTS_HOUSES", "5000"))
PAYMENTS = int(os.environ.get("BENCH_PAYMENTS_COUNT", "500"))
POSTGRES_URL = os.environ.get("BENCH_PAYMENTS_POSTGRES_URL",
                              "postgres://postgres@127.0.0.1:5432/gz_bench_payments")


def _bills(estate, houses, start: datetime.date, amount: Decimal) -> None:
    from gongzhi.billing.models import Bill, BillLine

    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    bills = Bill.objects.bulk_create([
        Bill(estate=estate, house=h, period_start=start, period_end=end, payer_name="业主", payer_key="house",
             due_date=end, amount=amount) for h in houses], batch_size=2000)
    BillLine.objects.bulk_create([
        BillLine(estate=estate, bill=b, description="物业费", quantity=Decimal("1"), rate=amount, amount=amount,
                 explanation=f"{amount} 元", ledger_code="4001") for b in bills], batch_size=2000)


def measure() -> dict:
    setup_django()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.billing.choices import PrepaymentKind
    from gongzhi.billing.models import BillingAccount, Payment, PrepaymentEntry
    from gongzhi.billing.payments import balance_check, payment_record, prepayment_apply
    from gongzhi.core.access import Actor
    from gongzhi.estate.models import Building, Company, Estate, House, Unit

    with transaction.atomic():
        company = Company.objects.create(name="明强物业")
        estate = Estate.objects.create(company=company, name="明强小区", address="北京市朝阳区明强路1号")
        buildings = Building.objects.bulk_create([Building(estate=estate, name=str(b + 1), sort_key=b)
                                                  for b in range(50)])
        units = Unit.objects.bulk_create([Unit(estate=estate, building=b, name="1") for b in buildings])
        per_unit = -(-HOUSES // len(units))
        House.objects.bulk_create([
            House(estate=estate, building=units[i // per_unit].building, unit=units[i // per_unit],
                  number=str(101 + i % per_unit), area_m2=Decimal("89.50")) for i in range(HOUSES)], batch_size=2000)
        houses = list(House.objects.filter(estate=estate).select_related("building", "unit").order_by("id"))
        _bills(estate, houses, datetime.date(2026, 1, 1), Decimal("196.90"))
    user = User.objects.create_user(phone="13800000000", password=None, name="财务")
    actor = Actor(user=user, estate=estate, roles=frozenset({"finance"}))

    durations = []
    began = time.perf_counter()
    for i in range(PAYMENTS):
        t = time.perf_counter()
        payment_record(actor=actor, house=houses[i], amount=Decimal("196.90"), method="cash", key=f"bench-{i}",
                       payer_name="业主")
        durations.append(time.perf_counter() - t)
    pay_seconds = time.perf_counter() - began
    assert all(balance_check(h).ok for h in houses[:20])

    # No house has a balance yet (every payment settled its bill exactly): the cheap path.
    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        assert prepayment_apply(estate=estate) == 0
        idle_seconds = time.perf_counter() - t

    with transaction.atomic():
        BillingAccount.objects.bulk_create([BillingAccount(estate=estate, house=h) for h in houses],
                                           ignore_conflicts=True, batch_size=2000)
        BillingAccount.objects.filter(estate=estate).update(prepaid=Decimal("500.00"))
        # Each balance as the money that made it (a bank transfer kept as prepayment), so the books agree.
        seeded = Payment.objects.bulk_create([
            Payment(estate=estate, house=h, method="bank_transfer", amount=Decimal("500.00"), reference="seed",
                    key=f"seed-{h.pk}") for h in houses], batch_size=2000)
        PrepaymentEntry.objects.bulk_create([
            PrepaymentEntry(estate=estate, house_id=p.house_id, payment=p, kind=PrepaymentKind.DEPOSIT,
                            amount=Decimal("500.00"), created_at=timezone.now()) for p in seeded], batch_size=2000)
        _bills(estate, houses, datetime.date(2026, 2, 1), Decimal("196.90"))
    t = time.perf_counter()
    drawn = prepayment_apply(estate=estate)
    apply_seconds = time.perf_counter() - t
    assert drawn == Decimal("196.90") * HOUSES + Decimal("196.90") * (HOUSES - PAYMENTS)
    bad = [balance_check(h).problems for h in houses[:20] + houses[-20:] if not balance_check(h).ok]
    assert not bad, bad[:3]
    return {"houses": HOUSES, "payments": PAYMENTS, "pay_seconds": pay_seconds,
            "pay_median_ms": statistics.median(durations) * 1000,
            "pay_p99_ms": sorted(durations)[max(0, int(len(durations) * 0.99) - 1)] * 1000,
            "drawn": str(drawn), "apply_seconds": apply_seconds, "idle_seconds": idle_seconds,
            "idle_queries": len(queries), "load_average": os.getloadavg()[0]}


def _postgres_database(workdir: Path) -> Database:
    import common

    common_url, common.POSTGRES_URL = common.POSTGRES_URL, POSTGRES_URL
    try:
        common._recreate_postgres(POSTGRES_URL, create=True)
    finally:
        common.POSTGRES_URL = common_url
    return Database("PostgreSQL", POSTGRES_URL, workdir)


def bench(kind: str) -> dict:
    import shutil
    import tempfile

    import common

    workdir = Path(tempfile.mkdtemp(prefix=f"gz-bench-payments-{kind}-"))
    try:
        db = (Database("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", workdir) if kind == "sqlite"
              else _postgres_database(workdir))
        try:
            migrate(db)
            output = run_child([str(Path(__file__).resolve()), "--measure"], child_env(db), timeout=3600)
            return {"db": db.label, **last_json_line(output)}
        finally:
            if kind == "postgresql":
                common._recreate_postgres(POSTGRES_URL, create=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def table(results: list[dict]) -> str:
    rows = ["| database | payments | payments/s | median (ms) | p99 (ms) | houses drawn | prepayment_apply (s) | "
            "houses/s | nothing to draw (ms) | its queries | load average |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        if "skipped" in r:
            rows.append(f"| {r['db']} | skipped: {r['skipped']} | | | | | | | | | |")
            continue
        rows.append(f"| {r['db']} | {r['payments']:,} | {r['payments'] / r['pay_seconds']:,.0f} | "
                    f"{r['pay_median_ms']:.1f} | {r['pay_p99_ms']:.1f} | {r['houses']:,} | {r['apply_seconds']:.2f} | "
                    f"{r['houses'] / r['apply_seconds']:,.0f} | {r['idle_seconds'] * 1000:.1f} | {r['idle_queries']} | "
                    f"{r['load_average']:.1f} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure()))
        return
    kinds = [a for a in argv if a in {"sqlite", "postgresql"}] or None
    results = []
    for kind, skipped in database_kinds(kinds):
        results.append({"db": kind, "skipped": skipped} if skipped else bench(kind))
    print()
    print(table(results))
    print()
    print(f"(payments: payment_record one after another, each with its receipt, ledger entry and audit; "
          f"prepayment_apply: every house's balance drawn into its new bill in one call, one ledger entry; "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    main(sys.argv[1:])
