"""Fast bulk insert of bills and their lines, for the bill run (100,000 houses in seconds).

- Bills need their ids before their lines are written. PostgreSQL: pre-allocated from the table's sequence in one
  query (``SELECT nextval(...) FROM generate_series(1, n)``). SQLite: the transaction already holds the write lock
  (``transaction_mode=IMMEDIATE``, and the run row was written first), so they are assigned from the table's
  high-water marks (``max(id)`` and ``sqlite_sequence``). Lines take their ids from the database as they go in.
- PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3 ``cursor.copy``); SQLite: one ``executemany`` per table.
- The tables check no foreign keys (ADR 0013): every reference written here comes from rows read in the same
  transaction.

Must be called inside ``transaction.atomic``. Writes rows as the ORM would (same columns, same values), and nothing
else: no signals, no audit, no ledger (the run does those)."""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from .calc import BillOut, dumps
from .choices import BillKind, BillStatus
from .models import Bill, BillLine

BILL_COLUMNS = ("id", "estate_id", "run_id", "house_id", "kind", "period_start", "period_end", "payer_kind",
                "payer_person_id", "payer_name", "payer_key", "issued_at", "due_date", "amount", "adjusted",
                "settled", "status", "source_key", "note")
LINE_COLUMNS = ("estate_id", "bill_id", "fee_item_id", "description", "quantity", "unit", "rate", "amount",
                "explanation", "basis", "ledger_code", "reading_id", "sort")
ZERO = Decimal("0.00")
SQLITE_CACHE_KIB = -65536  # PRAGMA cache_size while inserting: 64 MiB (negative: KiB)


@dataclass(frozen=True)
class Written:
    bills: int
    lines: int
    first_bill_id: int
    last_bill_id: int


def rows(*, estate_id: int, run_id: int | None, bills: Sequence[BillOut], bill_ids: Sequence[int], issued_at, due_date: datetime.date, period_start: datetime.date,
         period_end: datetime.date, as_text: bool = False) -> tuple[list[tuple], list[tuple]]:
    """The bill rows and line rows, as tuples in ``BILL_COLUMNS`` / ``LINE_COLUMNS`` order: Python values for
    COPY, or (``as_text``) the values Django's SQLite backend stores (decimals and dates as text, datetimes as naive
    UTC text)."""
    bill_rows = []
    line_rows = []
    periodic, open_, paid = str(BillKind.PERIODIC), str(BillStatus.OPEN), str(BillStatus.PAID)
    zero: object = ZERO
    if as_text:
        issued_at = connection.ops.adapt_datetimefield_value(issued_at)
        due_date, period_start, period_end = due_date.isoformat(), period_start.isoformat(), period_end.isoformat()
        zero = str(ZERO)
    conv = str if as_text else _same
    b_append, l_append = bill_rows.append, line_rows.append
    for bill, bill_id in zip(bills, bill_ids, strict=True):
        p = bill.payer
        b_append((bill_id, estate_id, run_id, bill.house_id, periodic, period_start, period_end, str(p.kind),
                  p.person_id, p.name[:120], p.key, issued_at, due_date, conv(bill.amount), zero, zero,
                  open_ if bill.amount > 0 else paid, "", ""))
        for ln in bill.lines:
            l_append((estate_id, bill_id, ln.fee_item_id, ln.description, conv(ln.quantity), ln.unit,
                      conv(ln.rate), conv(ln.amount), ln.explanation, ln.basis_json or dumps(ln.basis),
                      ln.ledger_code, ln.reading_id, ln.sort))
    return bill_rows, line_rows


def _same(value):
    return value


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def esc(text: str) -> str:
    """A value for COPY's text format: backslash, tab, newline and carriage return escaped (``str.translate``
    looks up every character, so it runs only on the rare text that has one of them)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def copy_text(*, estate_id: int, run_id: int | None, bills: Sequence[BillOut], bill_ids: Sequence[int], issued_at,
              due_date: datetime.date, period_start: datetime.date, period_end: datetime.date,
              bill_rows: list[str], chunk: int = 5000) -> Iterator[str]:
    """The same rows as ``rows``, in COPY's text format: yields the lines' text ``chunk`` bills at a time and
    appends each bill's row to ``bill_rows`` on the way, so that the lines stream to the server while the next
    chunk is written here. The bulk of the work is f-strings, not psycopg's per-value adaptation."""
    head = f"{estate_id}\t{NULL if run_id is None else run_id}\t"
    dates = f"{period_start.isoformat()}\t{period_end.isoformat()}\t"
    when = f"{issued_at.isoformat()}\t{due_date.isoformat()}\t"
    periodic, open_, paid = str(BillKind.PERIODIC), str(BillStatus.OPEN), str(BillStatus.PAID)
    b_append = bill_rows.append
    line_head = f"{estate_id}\t"
    for start in range(0, len(bills), chunk):
        line_rows: list[str] = []
        l_append = line_rows.append
        for bill, bill_id in zip(bills[start:start + chunk], bill_ids[start:start + chunk], strict=True):
            p = bill.payer
            person = NULL if p.person_id is None else p.person_id
            b_append(f"{bill_id}\t{head}{bill.house_id}\t{periodic}\t{dates}{p.kind!s}\t{person}\t"
                     f"{esc(p.name[:120])}\t{esc(p.key)}\t{when}{bill.amount}\t0.00\t0.00\t"
                     f"{open_ if bill.amount > 0 else paid}\t\t\n")
            for ln in bill.lines:
                fee = NULL if ln.fee_item_id is None else ln.fee_item_id
                reading = NULL if ln.reading_id is None else ln.reading_id
                l_append(f"{line_head}{bill_id}\t{fee}\t{esc(ln.description)}\t{ln.quantity}\t"
                         f"{esc(ln.unit)}\t{ln.rate}\t{ln.amount}\t{esc(ln.explanation)}\t"
                         f"{esc(ln.basis_json or dumps(ln.basis))}\t{ln.ledger_code}\t{reading}\t{ln.sort}\n")
        yield "".join(line_rows)


def write_bills(*, estate, run, bills: Sequence[BillOut], issued_at: datetime.datetime, due_date: datetime.date,
                period_start: datetime.date, period_end: datetime.date) -> Written:
    """Insert ``bills`` (and their lines) of ``run``; returns what was written."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_bills must run inside transaction.atomic")
    n_bills = len(bills)
    n_lines = sum(len(b.lines) for b in bills)
    if n_bills == 0:
        return Written(0, 0, 0, 0)
    bill_ids = allocate_ids(Bill, n_bills)
    args = {"estate_id": estate.pk, "run_id": run.pk if run else None, "bills": bills, "bill_ids": bill_ids,
            "issued_at": issued_at, "due_date": due_date, "period_start": period_start,
            "period_end": period_end}
    if connection.vendor == "postgresql":
        # The lines first (they are most of the data, and no constraint makes them wait for their bills): the
        # server stores each chunk while the next is written; then the bills' rows, gathered on the way.
        bill_text: list[str] = []
        copy_in(BillLine, LINE_COLUMNS, copy_text(**args, bill_rows=bill_text))
        copy_in(Bill, BILL_COLUMNS, [bill_text[k:k + 5000] for k in range(0, len(bill_text), 5000)])
    else:
        bill_rows, line_rows = rows(**args, as_text=True)
        insert(Bill, BILL_COLUMNS, bill_rows)
        insert(BillLine, LINE_COLUMNS, line_rows)
    return Written(n_bills, n_lines, bill_ids[0], bill_ids[-1])


def allocate_ids(model, n: int) -> list[int]:
    """``n`` fresh primary keys of ``model``'s table, in increasing order."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return sorted(r[0] for r in cur.fetchall())
        if connection.vendor == "sqlite":
            cur.execute(f'SELECT max(id) FROM "{table}"')  # noqa: S608 - a model's table name
            high = cur.fetchone()[0] or 0
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            high = max(high, row[0] if row else 0)
            return list(range(high + 1, high + 1 + n))
    raise ImproperlyConfigured(f"Gongzhi runs on SQLite or PostgreSQL, not {connection.vendor}")


def copy_in(model, columns: Sequence[str], chunks: Iterable[str | list[str]]) -> None:
    """PostgreSQL: COPY ``chunks`` of text already in COPY's format (a string, or a list of row strings) into
    ``model``'s table, each sent as soon as it is ready."""
    cols = ", ".join(f'"{c}"' for c in columns)
    connection.ensure_connection()
    with connection.connection.cursor() as cur, \
            cur.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
        for text in chunks:
            copy.write(text if isinstance(text, str) else "".join(text))


def insert(model, columns: Sequence[str], data: list[tuple]) -> None:
    """SQLite: insert ``data`` rows into ``model``'s table with one executemany."""
    if not data:
        return
    table = model._meta.db_table
    cols = ", ".join(f'"{c}"' for c in columns)
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        # A larger page cache for this insert only (memory, not durability: synchronous stays as configured), so
        # that the tables' indexes are not written back and read again page by page while 100,000 rows go in.
        before = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
        try:
            raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})',  # noqa: S608
                            data)
        finally:
            raw.execute(f"PRAGMA cache_size = {int(before)}")
    finally:
        raw.close()
