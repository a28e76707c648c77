#!/usr/bin/env python
"""Payment notifications under load: gunicorn (as ``bin/serve`` runs it, see http_bench.start_server) on a fresh
SQLite and PostgreSQL database, and 32 concurrent clients posting signed WeChat Pay v3 notifications (RSA-SHA256
signature, AES-256-GCM resource, made by the local gateway simulator with test keys) to
``/api/v1/billing/notify/wechat``: every order once (each a payment, a receipt and a ledger entry) plus a share of
duplicates (the gateway's retries, answered DUPLICATE and writing nothing). Prints a Markdown table.

    .venv/bin/python bench/billing_notify_bench.py [sqlite] [postgresql]

BENCH_NOTIFY_ORDERS (default 2000) orders, BENCH_NOTIFY_DUPLICATES (default 0.5: one duplicate for every two
orders), BENCH_NOTIFY_CLIENTS (default 32). Orders and bills are seeded by rows (the bench measures the
notification, not order creation); each notification goes through the whole real path."""

import http.client
import os
import random
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

ORDERS = int(os.environ.get("BENCH_NOTIFY_ORDERS", "2000"))
DUPLICATES = float(os.environ.get("BENCH_NOTIFY_DUPLICATES", "0.5"))
CLIENTS = int(os.environ.get("BENCH_NOTIFY_CLIENTS", "32"))
SELF = str(Path(__file__).resolve())


def prepare(count: int) -> dict:
    """Child: an estate with ``count`` houses, one open bill each and one WeChat Pay order for it."""
    setup_django()
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from gongzhi.billing.choices import BillStatus, FeeKind, LedgerCode, PayerKind
    from gongzhi.billing.models import Bill, BillLine, FeeItem, PaymentOrder
    from gongzhi.billing.online import new_out_trade_no

    estate, houses = one_unit_estate(count, lambda i: Decimal("88.00"))
    item = FeeItem.objects.create(estate=estate, code="property", name="物业费", kind=FeeKind.AREA,
                                  ledger_code=LedgerCode.PROPERTY)
    now, start = timezone.now(), datetime.date(2026, 1, 1)
    amounts = [Decimal(f"{random.randint(5000, 40000) / 100:.2f}") for _ in houses]
    bills = Bill.objects.bulk_create([
        Bill(estate=estate, house=h, period_start=start, period_end=datetime.date(2026, 1, 31),
             payer_kind=PayerKind.OWNER, payer_key="house", issued_at=now, due_date=datetime.date(2026, 1, 31),
             amount=a, status=BillStatus.OPEN) for h, a in zip(houses, amounts, strict=True)])
    BillLine.objects.bulk_create([
        BillLine(estate=estate, bill=b, fee_item=item, description="物业费", quantity=Decimal("88"), unit="m²",
                 rate=Decimal("1"), amount=b.amount, explanation=f"{b.amount} 元", ledger_code=item.ledger_code)
        for b in bills])
    orders = PaymentOrder.objects.bulk_create([
        PaymentOrder(estate=estate, house_id=b.house_id, provider="wechat", out_trade_no=new_out_trade_no(estate.pk),
                     amount=b.amount, bill_ids=[b.pk], created_at=now, expires_at=now + datetime.timedelta(hours=2),
                     key=f"bench-{b.pk}") for b in bills])
    return {"estate_id": estate.pk, "orders": [[o.out_trade_no, int(o.amount * 100)] for o in orders]}


def check(estate_id: int) -> dict:
    """Child: what the notifications wrote."""
    setup_django()
    from django.db.models import Count

    from gongzhi.billing.models import Payment, PaymentNotification, Receipt

    outcomes = dict(PaymentNotification.objects.values_list("outcome").annotate(n=Count("id")))
    return {"payments": Payment.objects.filter(estate_id=estate_id).count(),
            "receipts": Receipt.objects.filter(estate_id=estate_id).count(), "outcomes": outcomes}


def fire(port: int, jobs: list[tuple[dict, bytes]]) -> dict:
    """Post every job from CLIENTS threads (each with its own keep-alive connection); latencies in ms."""
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
            headers, body = jobs[index]
            began = time.perf_counter()
            conn.request("POST", "/api/v1/billing/notify/wechat", body=body, headers=headers)
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
    return {"requests": len(latencies), "seconds": wall, "rps": len(latencies) / wall,
            "p50_ms": statistics.median(latencies), "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
            "statuses": statuses}


def bench(kind: str) -> dict:
    from gongzhi.billing.providers.simulator import GatewaySimulator, TestKeys, settings_for

    with database(kind) as db:
        keys = TestKeys.create(db.workdir / "keys")
        simulator = GatewaySimulator(keys)  # signs and encrypts; its server is not needed here
        env_settings = {k: str(v) for k, v in settings_for(keys, "http://127.0.0.1:9").items()}
        data = last_json_line(run_child([SELF, "--prepare", str(ORDERS)], child_env(db, **env_settings),
                                        timeout=1800))
        orders = data["orders"]
        jobs = [simulator.wechat_notification(no, total=total) for no, total in orders]
        duplicates = [jobs[i] for i in random.sample(range(len(jobs)), int(len(jobs) * DUPLICATES))]
        # a retry comes after the first delivery: the duplicates go to the second half of the run
        half = len(jobs) // 2
        tail = jobs[half:] + duplicates
        random.shuffle(tail)
        jobs = jobs[:half] + tail
        os.environ.update(env_settings)  # start_server passes our environment on to gunicorn
        port = hb.free_port()
        server = hb.start_server(db, port)
        try:
            figures = fire(port, jobs)
        finally:
            hb.stop_server(server)
        written = last_json_line(run_child([SELF, "--check", str(data["estate_id"])], child_env(db, **env_settings)))
        expected_dup = len(duplicates)
        ok = (written["payments"] == len(orders) and written["receipts"] == len(orders)
              and written["outcomes"].get("accepted", 0) == len(orders)
              and written["outcomes"].get("duplicate", 0) == expected_dup and not written["outcomes"].get("rejected"))
        return {"db": db.label, "orders": len(orders), "duplicates": expected_dup, **figures, "written": written,
                "consistent": ok}


def table(rows: list[dict]) -> str:
    out = ["| database | notifications (new + duplicate) | clients | req/s | p50 ms | p99 ms | statuses | "
           "payments / receipts | outcomes | consistent |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['db']} | {r['requests']} ({r['orders']} + {r['duplicates']}) | {CLIENTS} | {r['rps']:.0f} | "
                   f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['statuses']} | {r['written']['payments']} / "
                   f"{r['written']['receipts']} | {r['written']['outcomes']} | {'yes' if r['consistent'] else 'NO'} |")
    return "\n".join(out)


def main(argv: list[str]) -> None:
    server_bench_main(argv, prepare=prepare, check=check, bench=bench, table=table,
                      describe=f"{ORDERS} orders, {int(ORDERS * DUPLICATES)} duplicates, {CLIENTS} clients")



if __name__ == "__main__":
    main(sys.argv[1:])
