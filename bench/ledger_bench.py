"""Ledger verification benchmark (issue 5, "Speed"): verifying a chain of 1,000,000 entries in at most 3 s, next to
hashing the same bytes with hashlib alone in the same run.

For each database (SQLite file in WAL mode, PostgreSQL in a scratch database ``gz_bench_ledger``, dropped after)
it creates a fresh migrated database and, in a child process,
  1. builds an estate whose chain holds ``BENCH_LEDGER_ENTRIES`` (1,000,000) entries of 2 lines each, with raw bulk
     inserts (COPY on PostgreSQL, executemany on SQLite; the append-only triggers allow INSERT) and a VALID chain:
     every body, private digest and hash computed with ``gongzhi.ledger.chain``; a mix of kinds, Chinese text,
     private counterparties and staff notes, a reversal every 1,000 entries, and a signed checkpoint per month;
  2. times ``gongzhi.ledger.verify.ledger_verify(estate=...)`` (best of ``BENCH_LEDGER_RUNS``, 3), which must
     answer ok over every entry and checkpoint;
  3. times the floor: the same bytes the verifier hashes (each entry's ``prev_hash + body`` and its private-digest
     text), prepared in memory first, hashed with ``hashlib.sha256(...).hexdigest()`` alone (best of 3).

Run: ``.venv/bin/python bench/ledger_bench.py [sqlite|postgresql]``; prints a markdown table (it does not write
bench/README.md). ``BENCH_LEDGER_ENTRIES`` sets the chain's length.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, database, database_kinds, measure_in_child, setup_django

ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
RUNS = int(os.environ.get("BENCH_LEDGER_RUNS", "3"))
TARGET_SECONDS = 3.0
POSTGRES_URL = os.environ.get("BENCH_LEDGER_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gz_bench_ledger")
CHUNK = 50_000

# (kind, debit, credit, description, counterparty, private, staff note) cycled over the entries
PATTERNS = [
    ("fee_payment", "1012", "4001", "物业费 2026年第{n}期", "业主 {n}", True, ""),
    ("expense", "5002", "1002", "保洁服务费 Cleaning, invoice {n}", "洁美保洁有限公司", False, "合同 HT-{n}"),
    ("public_revenue", "1002", "4101", "电梯广告 Elevator ads {n}", "某广告公司", False, ""),
    ("fund_interest", "1201", "3101", "维修资金利息 {n}", "", False, ""),
    ("expense", "5006", "1002", "公共照明电费 {n}", "国网供电", False, ""),
]


# --- the data set (child process, DATABASE_URL set) --------------------------------------------------------------
def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def build_chain(estate_id: int, accounts: dict[str, int], count: int, months: dict):
    """Yields chunks of (entry rows, line rows) for ``count`` entries with a valid chain (ids from 1); fills
    ``months`` with each month's last (seq, hash), for the checkpoints."""
    from decimal import Decimal

    from gongzhi.ledger import chain

    today = datetime.date.today()
    start = (today - datetime.timedelta(days=730)).replace(day=1)
    days = (today - datetime.timedelta(days=2) - start).days
    prev = chain.GENESIS
    entries, lines = [], []
    line_id = 1
    for i in range(count):
        seq = entry_id = i + 1
        date = start + datetime.timedelta(days=i * days // count)
        posted = datetime.datetime(date.year, date.month, date.day, 2, 0, tzinfo=datetime.UTC) + \
            datetime.timedelta(seconds=i % 36_000)
        reverses = None
        if seq % 1000 == 0:  # a reversal of the entry before it
            kind, debit, credit, description, counterparty, private, note = PATTERNS[(i - 1) % len(PATTERNS)]
            debit, credit = credit, debit
            kind, description, reverses = "reversal", f"Reversal of #{seq - 1}: 录错金额", (entry_id - 1, seq - 1)
        else:
            kind, debit, credit, description, counterparty, private, note = PATTERNS[i % len(PATTERNS)]
            description = description.format(n=seq)
        counterparty = counterparty.format(n=seq % 1728)
        note = note.format(n=seq)
        amount = chain.money(Decimal((seq * 7919) % 9_999_999 + 1) / 100)
        nonce = f"{seq:032x}"
        label = "财务 13800000001"
        digest = chain.private_digest(nonce=nonce, counterparty=counterparty, staff_note=note, actor_id=None,
                                      actor_label=label, private_documents=[])
        body = chain.body(
            estate_id=estate_id, seq=seq, date=date, posted_at=chain.instant(posted), kind=kind,
            description=description, counterparty="" if private else counterparty, reference="",
            reverses_seq=reverses[1] if reverses else None, actor_role="finance", approval_id=None,
            private_digest=digest, public_documents=[],
            lines=[chain.line_text(debit, amount, "0.00"), chain.line_text(credit, "0.00", amount)])
        entry_hash = chain.link(prev, body)
        entries.append((entry_id, estate_id, seq, date, posted, kind, description, counterparty, private, "",
                        reverses[0] if reverses else None, None, "finance", label, None, note, nonce, digest, prev,
                        entry_hash))
        lines.append((line_id, estate_id, entry_id, 1, accounts[debit], amount, "0.00"))
        lines.append((line_id + 1, estate_id, entry_id, 2, accounts[credit], "0.00", amount))
        line_id += 2
        months[date.replace(day=1)] = (seq, entry_hash)
        prev = entry_hash
        if len(entries) == CHUNK:
            yield entries, lines
            entries, lines = [], []
    if entries:
        yield entries, lines


ENTRY_COLUMNS = ("id", "estate_id", "seq", "date", "posted_at", "kind", "description", "counterparty",
                 "counterparty_private", "reference", "reverses_id", "actor_id", "actor_role", "actor_label",
                 "approval_id", "staff_note", "nonce", "private_digest", "prev_hash", "hash")
LINE_COLUMNS = ("id", "estate_id", "entry_id", "line_no", "account_id", "debit", "credit")


def _insert(cursor, vendor: str, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        raw = [tuple(v.isoformat(" ") if isinstance(v, datetime.datetime) else v for v in row) for row in rows]
        if table == "ledger_journalentry":  # Django stores SQLite datetimes as naive UTC text
            raw = [(*r[:4], r[4][:19], *r[5:]) for r in raw]
        cursor.cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", raw)


def seed(count: int) -> dict:
    """A fresh estate with ``count`` entries of 2 lines and a signed checkpoint per ended month."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gongzhi.estate.models import Company, Estate
    from gongzhi.ledger import chain, signing
    from gongzhi.ledger.chart import ensure_chart
    from gongzhi.ledger.models import Account, Checkpoint, LedgerHead

    began = time.perf_counter()
    company = Company.objects.create(name="明强物业")
    estate = Estate.objects.create(company=company, name="明强小区", address="北京市朝阳区明强路1号")
    ensure_chart(estate)
    accounts = dict(Account.objects.filter(estate=estate).values_list("code", "id"))
    vendor = connection.vendor
    months: dict[datetime.date, tuple[int, str]] = {}
    head = (0, chain.GENESIS)
    with transaction.atomic(), connection.cursor() as cursor:
        for entries, lines in build_chain(estate.pk, accounts, count, months):
            _insert(cursor, vendor, "ledger_journalentry", ENTRY_COLUMNS, entries)
            _insert(cursor, vendor, "ledger_journalline", LINE_COLUMNS, lines)
            head = (entries[-1][2], entries[-1][-1])
        LedgerHead.objects.create(estate=estate, seq=head[0], hash=head[1])
        today = timezone.localdate()
        checkpoints = []
        for start, (seq, entry_hash) in sorted(months.items()):
            end = _month_end(start)
            if end >= today:
                continue
            signed_at = datetime.datetime(end.year, end.month, end.day, 18, 0, tzinfo=datetime.UTC)
            message = chain.checkpoint_message(estate_id=estate.pk, period_start=start, period_end=end,
                                               head_seq=seq, head_hash=entry_hash, signed_at=chain.instant(signed_at))
            checkpoints.append(Checkpoint(estate=estate, period_start=start, period_end=end, head_seq=seq,
                                          head_hash=entry_hash, signed_at=signed_at,
                                          public_key=signing.public_key_hex(), signature=signing.sign(message)))
        Checkpoint.objects.bulk_create(checkpoints)
        if vendor == "postgresql":
            for table in ("ledger_journalentry", "ledger_journalline"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE ledger_journalentry")
            cursor.execute("VACUUM ANALYZE ledger_journalline")
    return {"estate_id": estate.pk, "entries": count, "checkpoints": len(checkpoints),
            "seed_seconds": time.perf_counter() - began}


# --- the measurement (child process) -----------------------------------------------------------------------------
def floor_bodies(estate_id: int) -> list[bytes]:
    """What the verifier hashes, prepared in memory: each entry's ``prev_hash + body`` and private text, built from
    the stored rows through the ORM (not timed)."""
    from gongzhi.ledger import chain
    from gongzhi.ledger.models import JournalEntry, JournalLine

    codes: dict[int, list[str]] = {}
    for entry_id, code, debit, credit in (JournalLine.objects.filter(estate_id=estate_id)
                                          .order_by("entry_id", "line_no")
                                          .values_list("entry_id", "account__code", "debit", "credit")
                                          .iterator(chunk_size=CHUNK)):
        codes.setdefault(entry_id, []).append(chain.line_text(code, chain.money(debit), chain.money(credit)))
    seqs = dict(JournalEntry.objects.filter(estate_id=estate_id).values_list("id", "seq"))
    messages = []
    for e in JournalEntry.objects.filter(estate_id=estate_id).order_by("seq").iterator(chunk_size=CHUNK):
        messages.append("\x1f".join([e.nonce, e.counterparty, e.staff_note, "", e.actor_label, ""]).encode())
        body = chain.body(
            estate_id=estate_id, seq=e.seq, date=e.date, posted_at=chain.instant(e.posted_at), kind=e.kind,
            description=e.description, counterparty="" if e.counterparty_private else e.counterparty,
            reference=e.reference, reverses_seq=seqs[e.reverses_id] if e.reverses_id else None,
            actor_role=e.actor_role, approval_id=e.approval_id, private_digest=e.private_digest,
            public_documents=[], lines=codes.pop(e.pk))
        messages.append((e.prev_hash + body).encode())
    return messages


def hash_floor(messages: list[bytes]) -> tuple[float, str]:
    sha256 = hashlib.sha256
    began = time.perf_counter()
    last = ""
    for message in messages:
        last = sha256(message).hexdigest()
    return time.perf_counter() - began, last


def measure() -> dict:
    setup_django()
    from django.db import connection

    from gongzhi.estate.models import Estate
    from gongzhi.ledger.models import JournalEntry
    from gongzhi.ledger.verify import ledger_verify

    seeded = seed(ENTRIES)
    estate = Estate.objects.get(pk=seeded["estate_id"])
    print(f"    seeded {seeded['entries']:,} entries, {seeded['checkpoints']} checkpoints in "
          f"{seeded['seed_seconds']:.1f} s", flush=True)
    runs = []
    result = None
    for _run in range(RUNS):
        connection.close()  # each run opens its own connection, as a management command or a request would
        began = time.perf_counter()
        result = ledger_verify(estate=estate)
        runs.append(time.perf_counter() - began)
        print(f"    verify: {runs[-1]:.3f} s ({result.method} path), ok={result.ok}, load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    if not result.ok or result.entries != ENTRIES:
        raise RuntimeError(f"the bench chain did not verify: {result.summary()}")
    messages = floor_bodies(estate.pk)
    if len(messages) != 2 * ENTRIES:
        raise RuntimeError("the floor did not prepare every entry")
    floors = []
    for _run in range(RUNS):
        seconds, last = hash_floor(messages)
        floors.append(seconds)
    if last != JournalEntry.objects.get(estate=estate, seq=ENTRIES).hash:
        raise RuntimeError("the floor's last hash is not the chain head: it did not hash the same bytes")
    print(f"    hashlib floor: {min(floors):.3f} s over {len(messages):,} messages "
          f"({sum(map(len, messages)) / 1e6:.0f} MB)", flush=True)
    return {"entries": result.entries, "lines": result.lines, "checkpoints": result.checkpoints,
            "verify_seconds": min(runs), "verify_runs": runs, "floor_seconds": min(floors),
            "floor_runs": floors, "floor_messages": len(messages),
            "floor_megabytes": sum(map(len, messages)) / 1e6, "seed_seconds": seeded["seed_seconds"],
            "load_average": os.getloadavg()[0]}


# --- the parent --------------------------------------------------------------------------------------------------
def bench(kind: str) -> dict:
    with database(kind, POSTGRES_URL) as db:
        return measure_in_child(db, __file__, f"building {ENTRIES:,} entries and verifying",
                                BENCH_LEDGER_ENTRIES=str(ENTRIES), BENCH_LEDGER_RUNS=str(RUNS))


def table(results: list[dict]) -> str:
    lines = ["| database | entries | verify (s) | hashlib floor (s) | ratio | target | result | load average |",
             "|---|---:|---:|---:|---:|---|---|---:|"]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['db']} | skipped: {r['skipped']} | | | | | | |")
            continue
        ok = r["verify_seconds"] <= TARGET_SECONDS
        lines.append(f"| {r['db']} | {r['entries']:,} ({r['lines']:,} lines, {r['checkpoints']} checkpoints) | "
                     f"{r['verify_seconds']:.3f} | {r['floor_seconds']:.3f} | "
                     f"×{r['verify_seconds'] / r['floor_seconds']:.1f} | ≤ {TARGET_SECONDS:.0f} s | "
                     f"{'pass' if ok else '**fail**'} | {r['load_average']:.1f} |")
    return "\n".join(lines)


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
    print(f"(best of {RUNS}; floor: sha256().hexdigest() of each entry's prev_hash + body and of its private-digest "
          f"text, bytes prepared in memory first; {os.cpu_count()} cores; root {ROOT})")


if __name__ == "__main__":
    main(sys.argv[1:])
