"""Verifying an estate's chain from the stored rows (issue 5; ADR 0010): ``ledger_verify(estate=...)``.

It recomputes every entry's hash exactly as ``chain.py`` defines it (the private digest from the staff-only fields
and the nonce, the document digests from ``Document.sha256``), checks that ``seq`` runs 1..n without gaps, that each
``prev_hash`` is the hash before it, that each entry balances, that ``LedgerHead`` is the last entry, that no entry
is dated in a period that was closed before it was posted, and every ``Checkpoint``: its head is the entry at its
``head_seq`` and its Ed25519 signature is valid under a key the installation trusts (``signing.signature_valid``).
The result names the first failure (entry number and id, what) and counts the rest.

Speed (a million entries in at most 3 s on two cores, SQLite and PostgreSQL alike) shapes the fast path:
- The chain is read in chunks of entry ids. For each chunk, ONE aggregate query lets the database write every
  entry's text (``prev_hash`` + the body up to the documents; the private-digest text) into a few long values, a
  second one the entries' lines (``code|debit|credit`` in line order, already joined the way the body joins them),
  a third one the ids of the entries whose debits and credits differ (a SQL sum per entry). Python splits the
  values (C speed), adds the few document digests, and hashes: two SHA-256 per entry, compared a chunk at a time.
- Outside a transaction the queries run in four threads on connections of their own (two take turns on the
  entries' query, the longest), so the database processes (or, on SQLite, the ``sqlite3_step`` calls, which run
  without the GIL; SQLite's memory statistics are off, see ``gongzhi.core.sqlite_library``) work while the main
  thread hashes. Inside a transaction (tests, a caller's atomic block) they run in turn on the one connection.
- The fast path is optimistic. It relies on ids growing with ``seq`` (posting assigns both under the head's lock),
  on line numbers starting at 1, and on field separators the data cannot hold (services refuse control
  characters). When a chunk breaks any of these (an entry deleted or re-inserted, a separator smuggled into a
  field), verification starts again on the exact path: ORM rows, ``chain.body`` itself, in ``seq`` order. An entry
  whose fast text does not hash to its stored hash is re-checked on the exact path before it is reported, so a
  hash mismatch is always ``chain.py``'s word.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import queue
import threading
import time
from binascii import Error as BinasciiError
from binascii import hexlify, unhexlify
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.errors import DomainError, Forbidden

from . import chain, signing
from .models import Checkpoint, Document, EntryDocument, JournalEntry, JournalLine, LedgerHead
from .policies import LedgerPolicy

CHUNK = 25_000  # entries per query pair: ~12 MB of text, 40 round trips per million
EXACT_CHUNK = 2_000
MAX_REPORTED = 50  # failures kept (the first ones, in chain order); all are counted
MAX_RECHECK = 1_000  # fast-path mismatches re-checked one by one; more than this and the exact path takes over
FS = b"\x1c"  # between the entries' texts in an aggregate; the canonical text itself uses 0x1F and 0x1E

# The order in which failures at the same position are named.
ORDER = ["gap", "broken_link", "hash_mismatch", "private_mismatch", "unbalanced", "closed_period", "head_mismatch",
         "beyond_head", "checkpoint_mismatch", "forged_checkpoint", "file_missing", "file_mismatch"]


@dataclass(frozen=True)
class Failure:
    """One thing that does not match. ``seq``/``entry_id`` name the entry (``entry_id`` is None for a gap);
    ``period`` names a checkpoint ("2026-09")."""

    code: str
    message: str
    seq: int | None = None
    entry_id: int | None = None
    period: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "seq": self.seq, "entry_id": self.entry_id,
                "period": self.period}


@dataclass
class VerifyResult:
    estate_id: int
    entries: int = 0
    lines: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    head_hash: str = chain.GENESIS
    files_checked: int | None = None
    seconds: float = 0.0
    method: str = "fast"  # or "exact" when the fast path gave way
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    @property
    def first(self) -> Failure | None:
        return self.failures[0] if self.failures else None

    def summary(self) -> str:
        if self.ok:
            return _("The ledger verifies: %(entries)s entries (%(lines)s lines) through #%(head)s, %(checkpoints)s "
                     "checkpoints, in %(seconds).2f s.") % {
                "entries": self.entries, "lines": self.lines, "head": self.head_seq,
                "checkpoints": self.checkpoints, "seconds": self.seconds}
        return _("The ledger does NOT verify: %(count)s problem(s); the first: %(first)s") % {
            "count": self.failure_count, "first": self.first.message}

    def as_dict(self) -> dict:
        return {"ok": self.ok, "estate_id": self.estate_id, "entries": self.entries, "lines": self.lines,
                "checkpoints": self.checkpoints, "head_seq": self.head_seq, "head_hash": self.head_hash,
                "files_checked": self.files_checked, "seconds": round(self.seconds, 3), "method": self.method,
                "failure_count": self.failure_count, "first": self.first.as_dict() if self.first else None,
                "failures": [f.as_dict() for f in self.failures], "summary": self.summary()}


class _Failures:
    """Collects failures: all counted, the first MAX_REPORTED (in chain order) kept."""

    def __init__(self):
        self.kept: list[Failure] = []
        self.count = 0

    def add(self, failure: Failure) -> None:
        self.count += 1
        self.kept.append(failure)
        if len(self.kept) > 4 * MAX_REPORTED:
            self.kept = self.sorted()

    @staticmethod
    def _key(f: Failure):
        return (f.seq if f.seq is not None else float("inf"), ORDER.index(f.code))

    def sorted(self) -> list[Failure]:
        return sorted(self.kept, key=self._key)[:MAX_REPORTED]


# --- the messages ---------------------------------------------------------------------------------------------------
def entry_failure(code: str, seq: int, entry_id: int | None, **params) -> Failure:
    texts = {
        "hash_mismatch": _("Entry #%(seq)s (id %(id)s): hash mismatch: its stored content does not hash to its "
                           "stored hash."),
        "private_mismatch": _("Entry #%(seq)s (id %(id)s): its staff-only fields (counterparty, staff note, poster, "
                              "staff-only documents) do not match their committed private digest."),
        "broken_link": _("Entry #%(seq)s (id %(id)s): broken link: its previous hash is not the hash of entry "
                         "#%(prev)s."),
        "unbalanced": _("Entry #%(seq)s (id %(id)s): unbalanced: debits and credits differ."),
        "closed_period": _("Entry #%(seq)s (id %(id)s): dated %(date)s, in a period already closed when it was "
                           "posted (closed through %(period)s)."),
        "head_mismatch": _("Entry #%(seq)s (id %(id)s): the chain head record does not match it."),
        "beyond_head": _("Entry #%(seq)s (id %(id)s): beyond the chain head #%(head)s."),
    }
    if code == "gap":
        last = params.get("last", seq)
        message = (_("Gap: entry #%(seq)s is missing.") % {"seq": seq} if last == seq else
                   _("Gap: entries #%(seq)s to #%(last)s are missing.") % {"seq": seq, "last": last})
    else:
        message = texts[code] % {"seq": seq, "id": entry_id, **params}
    return Failure(code, message, seq=seq, entry_id=entry_id, period=params.get("period", ""))


def checkpoint_failure(code: str, checkpoint: Checkpoint, **params) -> Failure:
    period = f"{checkpoint.period_start:%Y-%m}"
    if code == "forged_checkpoint":
        message = _("Forged checkpoint %(period)s: its signature is not valid under a trusted key.") % {
            "period": period}
    else:
        message = _("Checkpoint %(period)s does not match the chain: %(why)s") % {"period": period, **params}
    return Failure(code, message, seq=checkpoint.head_seq, period=period)


# --- entry point ----------------------------------------------------------------------------------------------------
def ledger_verify(*, estate, check_files: bool = False, parallel: bool | None = None) -> VerifyResult:
    """Verify the whole chain of ``estate`` (see the module's docstring). ``check_files`` also rehashes every stored
    document file. ``parallel`` (default: when not inside a transaction and the database is not in memory) reads on
    four extra connections while this thread hashes."""
    started = time.perf_counter()
    alias = router.db_for_read(JournalEntry) or DEFAULT_DB_ALIAS
    head = LedgerHead.objects.using(alias).filter(estate=estate).values_list("seq", "hash").first()
    head_seq, head_hash = head if head is not None else (0, chain.GENESIS)
    checkpoints = list(Checkpoint.objects.using(alias).filter(estate=estate).order_by("period_start", "id"))
    bounds = _closed_bounds(checkpoints)
    result = VerifyResult(estate_id=estate.pk, head_seq=head_seq, head_hash=head_hash, checkpoints=len(checkpoints))
    if parallel is None:
        parallel = _can_parallel(connections[alias])
    if head_seq:
        scan = _FastScan(estate.pk, alias, head_seq, bounds, parallel).run()
        if scan is None:
            scan = _ExactScan(estate.pk, alias, head_seq, bounds).run()
    else:
        scan = _Scan(head_seq, bounds)
    failures = scan.failures
    result.entries, result.lines, result.method = scan.entries, scan.lines, scan.method
    _check_head(estate.pk, alias, head_seq, head_hash, scan, failures)
    _check_checkpoints(estate.pk, alias, checkpoints, head_seq, failures)
    if check_files:
        result.files_checked = _check_files(estate.pk, alias, failures)
    result.failures, result.failure_count = failures.sorted(), failures.count
    result.seconds = time.perf_counter() - started
    return result


def _can_parallel(connection) -> bool:
    if connection.in_atomic_block:
        return False  # other connections would not see this transaction's rows
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def _closed_bounds(checkpoints: list[Checkpoint]) -> list[tuple[int, bytes, str]]:
    """(head_seq, period_end, period) by head_seq: an entry after ``head_seq`` may not be dated on or before
    ``period_end`` (services.entry_post refuses it; only someone writing rows directly gets one in)."""
    bounds, latest = [], b""
    for c in sorted(checkpoints, key=lambda c: (c.head_seq, c.period_end)):
        end = c.period_end.isoformat().encode()
        if end > latest:
            latest = end
            bounds.append((c.head_seq, end, f"{c.period_start:%Y-%m}"))
    return bounds


# --- the scans --------------------------------------------------------------------------------------------------
class _Scan:
    """What a scan of entries 1..head_seq found."""

    method = "fast"

    def __init__(self, head_seq: int, bounds):
        self.head_seq = head_seq
        self.bounds = bounds
        self.failures = _Failures()
        self.entries = 0
        self.lines = 0
        self.last_hash = chain.GENESIS  # hash of the last entry seen (entry #head_seq when all is well)
        self.last_seq = 0

    def cut_after(self, seq: int) -> int:
        """How many closed-period bounds apply to entry #seq (those whose checkpoint was signed before it):
        ``bounds[index - 1]`` is the latest of them."""
        index = 0
        while index < len(self.bounds) and self.bounds[index][0] < seq:
            index += 1
        return index


class _Anomaly(Exception):
    """The fast path's assumptions do not hold for this chain: start again on the exact path."""


class _FastScan(_Scan):
    def __init__(self, estate_id: int, alias: str, head_seq: int, bounds, parallel: bool):
        super().__init__(head_seq, bounds)
        self.estate_id = estate_id
        self.alias = alias
        self.parallel = parallel
        self.suspects: list[tuple[int, int]] = []  # (seq, entry id) whose fast text did not hash right
        self.docs: dict[int, tuple[bytes, bytes]] = {}
        self.doc_ids: list[int] = []
        self.last_bytes = chain.GENESIS.encode()

    def run(self) -> _Scan | None:
        try:
            plan = self._plan()
            self.docs = self._documents(plan[-1].high)
            self.doc_ids = sorted(self.docs)
            read = _parallel_chunks if self.parallel else _serial_chunks
            chunks = read(self.alias, self.estate_id, plan)
            try:
                for spec, a, b, c in chunks:
                    self._chunk(spec, a, b, c)
            finally:
                chunks.close()
            if self.last_seq != self.head_seq:
                raise _Anomaly()
        except _Anomaly:
            return None
        self.last_hash = self.last_bytes.decode()
        if self.suspects:
            if len(self.suspects) > MAX_RECHECK:
                return None
            self._recheck()
        return self

    def _plan(self) -> list[_Chunk]:
        """The chunks: entry ids (low, high] holding seqs first..last. A chunk ends at the id of the entry with
        the largest seq ≤ k·CHUNK (or #head_seq); ids not growing with seq make it an anomaly."""
        plan: list[_Chunk] = []
        entries = JournalEntry.objects.using(self.alias).filter(estate_id=self.estate_id)
        low, first = 0, 1
        for last in [*range(CHUNK, self.head_seq, CHUNK), self.head_seq]:
            high = entries.filter(seq__lte=last).order_by("-seq").values_list("id", flat=True).first()
            if high is None or high <= low:
                raise _Anomaly()
            plan.append(_Chunk(low, high, first, last, self._bounds_within(first, last)))
            low, first = high, last + 1
        return plan

    def _bounds_within(self, first: int, last: int) -> list[tuple[int, str]]:
        """The closed-period bounds that apply to some entry first..last: (head_seq, period end), latest first."""
        index = self.cut_after(first)
        within = self.bounds[max(index - 1, 0):self.cut_after(last)]
        return [(h, end.decode()) for h, end, _p in reversed(within)]

    def _documents(self, last_id: int) -> dict[int, tuple[bytes, bytes]]:
        """entry id → (public digests, staff-only digests), each as chain.digests writes them."""
        found: dict[int, tuple[list, list]] = {}
        rows = (EntryDocument.objects.using(self.alias).filter(estate_id=self.estate_id, entry_id__lte=last_id)
                .values_list("entry_id", "document__staff_only", "document__sha256"))
        for entry_id, staff_only, sha in rows:
            found.setdefault(entry_id, ([], []))[1 if staff_only else 0].append(sha)
        return {k: (chain.digests(pub).encode(), chain.digests(prv).encode()) for k, (pub, prv) in found.items()}

    def _chunk(self, spec: _Chunk, a: tuple, b: tuple, c: tuple) -> None:
        count, hashes, late = a[0], a[3], a[6]
        first = self.last_seq + 1
        heads, privs, lines, id_list, prevs, digests = self.texts(spec, a, b, first)
        # The hot loop: two hashes per entry, compared a chunk at a time.
        sha = hashlib.sha256
        computed = b"".join([sha(h + t).digest() for h, t in zip(heads, lines, strict=True)])
        if computed != _unhex(hashes):
            for i in _differing(computed, hashes):
                self.suspects.append((first + i, int(id_list[i])))
        computed = b"".join([sha(p).digest() for p in privs])
        if computed != _unhex(digests):
            for i in _differing(computed, digests):
                self.failures.add(entry_failure("private_mismatch", first + i, int(id_list[i])))
        expected = self.last_bytes + hashes[:-64]
        if prevs != expected:
            for i in range(count):
                if prevs[64 * i:64 * i + 64] != expected[64 * i:64 * i + 64]:
                    self.failures.add(entry_failure("broken_link", first + i, int(id_list[i]), prev=first + i - 1))
        unbalanced, unbalanced_ids = c
        if unbalanced:
            where = {int(x): i for i, x in enumerate(id_list)}
            for entry_id in sorted(int(x) for x in unbalanced_ids.split(b",")):
                if entry_id not in where:
                    raise _Anomaly()  # lines of an entry that is not in the chunk
                self.failures.add(entry_failure("unbalanced", first + where[entry_id], entry_id))
        if late:
            self._late([int(x) for x in late.split(b",")])
        self.entries += count
        self.lines += b[0]
        self.last_seq = first + count - 1
        self.last_bytes = hashes[-64:]

    def texts(self, spec: _Chunk, a: tuple, b: tuple, first: int) -> tuple[list, list, list, list, bytes, bytes]:
        """The chunk's texts as the hashes cover them: ``prev_hash + body`` = head + lines, the private-digest text
        = private; with the ids, and the stored prev_hash and private_digest of every entry (concatenated by the
        database: a value of the wrong length sends the chunk to the exact path). Raises _Anomaly when the chunk does not hold exactly seqs ``first``.. in id order."""
        count, ids, seqs, hashes, heads, privs, _late, prevs, digests = a
        _line_count, line_ids, lines = b
        if (not count or first != spec.first or line_ids != ids or seqs != _numbers(first, count)
                or not len(hashes) == len(prevs) == len(digests) == 64 * count):
            raise _Anomaly()  # a gap, ids not in seq order, an entry without lines, a malformed hash
        heads, privs, lines = heads.split(FS), privs.split(FS), lines.split(FS)
        if not len(heads) == len(privs) == len(lines) == count:
            raise _Anomaly()  # a separator smuggled into a field
        id_list = ids.split(b",")
        lo, hi = bisect_right(self.doc_ids, spec.low), bisect_right(self.doc_ids, spec.high)
        if lo < hi:
            where = {int(x): i for i, x in enumerate(id_list)}
            for entry_id in self.doc_ids[lo:hi]:
                i = where.get(entry_id)
                if i is not None:
                    public, private = self.docs[entry_id]
                    heads[i] = heads[i][:-1] + public + heads[i][-1:]
                    privs[i] = privs[i] + private
        return heads, privs, lines, id_list, prevs, digests

    def _late(self, seqs: list[int]) -> None:
        rows = (JournalEntry.objects.using(self.alias).filter(estate_id=self.estate_id, seq__in=seqs)
                .order_by("seq").values_list("seq", "id", "date"))
        for seq, entry_id, date in rows:
            bound = self.bounds[self.cut_after(seq) - 1]
            self.failures.add(entry_failure("closed_period", seq, entry_id, date=date.isoformat(), period=bound[2]))

    def _recheck(self) -> None:
        """The exact path's word on the entries whose fast text did not hash to the stored hash."""
        exact = _ExactScan(self.estate_id, self.alias, self.head_seq, self.bounds)
        for seq, entry_id in self.suspects:
            entry = JournalEntry.objects.using(self.alias).get(pk=entry_id)
            if not exact.hash_matches(entry):
                self.failures.add(entry_failure("hash_mismatch", seq, entry_id))


def fast_texts(*, estate) -> Iterator[tuple[int, bytes, bytes]]:
    """(seq, prev_hash + body, private-digest text) of every entry as the fast path writes them, in seq order:
    for the parity test that holds them to ``chain.body``."""
    alias = router.db_for_read(JournalEntry) or DEFAULT_DB_ALIAS
    head_seq = LedgerHead.objects.using(alias).filter(estate=estate).values_list("seq", flat=True).first() or 0
    scan = _FastScan(estate.pk, alias, head_seq, [], parallel=False)
    plan = scan._plan()
    scan.docs = scan._documents(plan[-1].high)
    scan.doc_ids = sorted(scan.docs)
    chunks = _serial_chunks(alias, estate.pk, plan)
    for spec, a, b, _c in chunks:
        heads, privs, lines, *_rest = scan.texts(spec, a, b, spec.first)
        for i, (head, private, text) in enumerate(zip(heads, privs, lines, strict=True)):
            yield spec.first + i, head + text, private


@dataclass(frozen=True)
class _Chunk:
    low: int  # entry ids low < id <= high
    high: int
    first: int  # the seqs they should hold
    last: int
    bounds: list  # closed-period bounds that apply inside: (head_seq, period end), latest first


def _numbers(first: int, count: int) -> bytes:
    return ",".join(map(str, range(first, first + count))).encode()


def _unhex(text: bytes) -> bytes | None:
    try:
        return unhexlify(text)
    except (BinasciiError, ValueError):
        return None


def _differing(computed: bytes, stored_hex: bytes) -> Iterator[int]:
    for i in range(len(computed) // 32):
        if hexlify(computed[32 * i:32 * i + 32]) != stored_hex[64 * i:64 * i + 64]:
            yield i


# --- fast path: the queries -----------------------------------------------------------------------------------
class _Reader:
    """The three aggregate queries of a chunk on one raw DB-API connection, returning bytes: the entries' texts,
    their lines' texts, the entries whose debits and credits differ."""

    def __init__(self, wrapper, estate_id: int):
        wrapper.ensure_connection()
        self.vendor = wrapper.vendor
        self.raw = wrapper.connection
        self.estate_id = estate_id
        if self.vendor == "postgresql":
            from psycopg import Cursor
            from psycopg.types.string import ByteaBinaryLoader

            self.cursor = Cursor(self.raw)  # Django's default ClientCursor cannot return binary results
            self.cursor.adapters.register_loader("text", ByteaBinaryLoader)  # the text's bytes, no decoding
            self.cursor.execute("SHOW DateStyle")
            self.iso = self.cursor.fetchone()[0].upper().startswith("ISO")
            # The entries' query is costed above jit_above_cost; compiling it for every chunk costs more CPU than
            # it saves (measured: a third of the verification). The session's setting is put back on close.
            self.cursor.execute("SHOW jit")
            self.jit = self.cursor.fetchone()[0]
            self.cursor.execute("SET jit = off")
        else:
            self.cursor = self.raw.cursor()
            index = _sqlite_line_index(self.raw)
            self.lines_sql = SQLITE_LINES.replace("{index}", index)
            self.unbalanced_sql = SQLITE_UNBALANCED.replace("{index}", index)

    def entries(self, spec: _Chunk) -> tuple:
        if self.vendor == "postgresql":
            return self._postgres(_postgres_entries(self.iso, _late_sql(spec.bounds, "DATE ", "false")), spec, 1)
        sql = SQLITE_ENTRIES.replace("{late}", _late_sql(spec.bounds, "", "0"))
        head = SQLITE_HEAD.replace("{estate}", str(int(self.estate_id)))  # one printf argument fewer per entry
        return self._sqlite(sql, (head, SQLITE_PRIVATE, spec.low, spec.high, self.estate_id), 1)

    def lines(self, spec: _Chunk) -> tuple:
        if self.vendor == "postgresql":
            return self._postgres(POSTGRES_LINES, spec, 1)
        return self._sqlite(self.lines_sql, (self.estate_id, spec.low, spec.high), 1)

    def unbalanced(self, spec: _Chunk) -> tuple:
        if self.vendor == "postgresql":
            return self._postgres(POSTGRES_UNBALANCED, spec, 1)
        params = (self.estate_id, spec.low, spec.high)
        return self._sqlite(self.unbalanced_sql, params, 1)

    def _postgres(self, sql: str, spec: _Chunk, counts: int) -> tuple:
        self.cursor.execute(sql, (self.estate_id, spec.low, spec.high), binary=True)
        return _blanks(self.cursor.fetchone(), counts)

    def _sqlite(self, sql: str, params: tuple, counts: int) -> tuple:
        factory = self.raw.text_factory
        self.raw.text_factory = bytes
        try:
            return _blanks(self.cursor.execute(sql, params).fetchone(), counts)
        finally:
            self.raw.text_factory = factory

    def close(self) -> None:
        if self.vendor == "postgresql":
            from psycopg import Error

            with contextlib.suppress(Error):  # an aborted transaction puts the setting back itself
                self.cursor.execute("SELECT set_config('jit', %s, false)", (self.jit,))
        self.cursor.close()


def _blanks(row, counts: int) -> tuple:
    """The first ``counts`` columns as ints, the texts as bytes (b"" for a NULL aggregate: no rows)."""
    return (*(int(v or 0) for v in row[:counts]), *(v or b"" for v in row[counts:]))


def _late_sql(bounds: list[tuple[int, str]], date_type: str, false: str) -> str:
    """True for an entry dated in a period closed before it was posted: the bounds are ours (ints and ISO dates),
    written into the SQL as literals."""
    if not bounds:
        return false
    cases = " ".join(f"WHEN e.seq > {int(h)} THEN e.date <= {date_type}'{datetime.date.fromisoformat(d)}'"
                     for h, d in bounds)
    return f"CASE {cases} ELSE {false} END"


# PostgreSQL. The posting time is written by to_char in UTC whatever the session's TimeZone; the date by a cast
# when the session's DateStyle is ISO (Django's default), else by to_char.
def _postgres_entries(iso: bool, late: str) -> str:
    date = "e.date::text" if iso else "to_char(e.date, 'YYYY-MM-DD')"
    # Under the ISO DateStyle a timestamp's text is "YYYY-MM-DD HH:MM:SS" once its fraction is cut off, cheaper to
    # write than to_char's.
    posted = ("replace(date_trunc('second', e.posted_at AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'" if iso else
              "to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    # The interpolations are this module's own SQL, the bounds' ints and dates.
    return f"""
SELECT count(*), string_agg(id::text, ','), string_agg(seq::text, ','), string_agg(hash, ''),
       string_agg(head, E'\\x1c'), string_agg(private, E'\\x1c'), string_agg(CASE WHEN late THEN seq::text END, ','),
       string_agg(prev_hash, ''), string_agg(private_digest, '')
FROM (
  SELECT e.id, e.seq, e.hash, e.prev_hash, e.private_digest,
    e.prev_hash || concat_ws(E'\\x1f', '{chain.FORMAT}', e.estate_id, e.seq, {date}, {posted}, e.kind,
      e.description, CASE WHEN e.counterparty_private THEN '' ELSE e.counterparty END, e.reference,
      CASE WHEN e.reverses_id IS NULL THEN '' ELSE
        coalesce((SELECT r.seq::text FROM ledger_journalentry r WHERE r.id = e.reverses_id), '?') END,
      e.actor_role, coalesce(e.approval_id::text, ''), e.private_digest, '', '') AS head,
    concat_ws(E'\\x1f', e.nonce, e.counterparty, e.staff_note, coalesce(e.actor_id::text, ''), e.actor_label,
      '') AS private,
    {late} AS late
  FROM ledger_journalentry e
  WHERE e.estate_id = %s AND e.id > %s AND e.id <= %s
  ORDER BY e.id) x"""  # noqa: S608


# The lines of the chunk in (entry, line) order, in one string_agg whose separator is chosen per line: 0x1C
# before an entry's first line, 0x1E between its lines, so the text splits into the entries' line texts. (A line
# numbering that does not start at 1 loses its entry: the ids then differ and the exact path takes over.)
# numeric(14,2)::text always has two decimals.
POSTGRES_LINES = """
SELECT count(*), string_agg(entry_id::text, ',') FILTER (WHERE line_no = 1),
       string_agg(t, CASE WHEN line_no = 1 THEN E'\\x1c' ELSE E'\\x1e' END)
FROM (SELECT l.entry_id, l.line_no, a.code || '|' || l.debit::text || '|' || l.credit::text AS t
      FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id
      WHERE l.estate_id = %s AND l.entry_id > %s AND l.entry_id <= %s
      ORDER BY l.entry_id, l.line_no) s"""

# Each entry's debits and credits summed in SQL: the ids of those that differ.
POSTGRES_UNBALANCED = """
SELECT count(*), string_agg(entry_id::text, ',') FROM (
  SELECT l.entry_id FROM ledger_journalline l
  WHERE l.estate_id = %s AND l.entry_id > %s AND l.entry_id <= %s
  GROUP BY l.entry_id HAVING sum(l.debit - l.credit) <> 0) s"""

# SQLite: printf writes each entry's texts (the formats are parameters: they hold the separators). Django keeps
# datetimes as naive UTC text ("2026-11-21 07:30:00[.ffffff]") and dates as ISO text. The rowid range walks the
# entries in id order (the unary + keeps SQLite off the estate index), the order every group_concat sees.
_US = chr(0x1F)
SQLITE_HEAD = _US.join([chain.FORMAT, "{estate}", "%d", "%s", "%.10sT%.8sZ", "%s", "%s", "%s", "%s", "%s", "%s", "%s",
                        "%s", "", ""])
SQLITE_PRIVATE = _US.join(["%s", "%s", "%s", "%s", "%s", ""])
SQLITE_ENTRIES = """
SELECT count(*), group_concat(e.id, ','), group_concat(e.seq, ','), group_concat(e.hash, ''),
  group_concat(e.prev_hash || printf(?1, e.seq, e.date, e.posted_at, substr(e.posted_at, 12), e.kind,
    e.description, CASE WHEN e.counterparty_private THEN '' ELSE e.counterparty END, e.reference,
    CASE WHEN e.reverses_id IS NULL THEN '' ELSE
      coalesce((SELECT r.seq FROM ledger_journalentry r WHERE r.id = e.reverses_id), '?') END,
    e.actor_role, coalesce(e.approval_id, ''), e.private_digest), char(28)),
  group_concat(printf(?2, e.nonce, e.counterparty, e.staff_note, coalesce(e.actor_id, ''), e.actor_label),
    char(28)),
  group_concat(CASE WHEN {late} THEN e.seq END, ','), group_concat(e.prev_hash, ''),
  group_concat(e.private_digest, '')
FROM ledger_journalentry e
WHERE e.id > ?3 AND e.id <= ?4 AND +e.estate_id = ?5"""

# The lines walk the unique (entry_id, line_no) index (SQLite 3.40 has no ORDER BY inside group_concat: the index
# gives the order), with the per-line separator as on PostgreSQL. Decimals come back as REAL or INTEGER: amounts
# are printf'd with two decimals and summed as integer fen.
SQLITE_LINES = """
SELECT count(*), group_concat(CASE WHEN l.line_no = 1 THEN l.entry_id END, ','),
  group_concat(a.code || '|' || printf('%.2f|%.2f', l.debit, l.credit),
               CASE WHEN l.line_no = 1 THEN char(28) ELSE char(30) END)
FROM ledger_journalline l {index} JOIN ledger_account a ON a.id = l.account_id
WHERE l.estate_id = ?1 AND l.entry_id > ?2 AND l.entry_id <= ?3"""
SQLITE_UNBALANCED = """
SELECT count(*), group_concat(e, ',') FROM (
  SELECT l.entry_id AS e FROM ledger_journalline l {index}
  WHERE l.estate_id = ?1 AND l.entry_id > ?2 AND l.entry_id <= ?3
  GROUP BY l.entry_id
  HAVING sum(CAST(round(l.debit * 100) AS INTEGER)) <> sum(CAST(round(l.credit * 100) AS INTEGER)))"""


def _sqlite_line_index(raw) -> str:
    """INDEXED BY the unique (entry_id, line_no) index, its name looked up in SQLite's catalogue."""
    for row in raw.execute("PRAGMA index_list('ledger_journalline')").fetchall():
        name, unique = _text(row[1]), row[2]
        columns = [_text(r[2]) for r in raw.execute(f"PRAGMA index_info('{name}')").fetchall()]
        if unique and columns == ["entry_id", "line_no"]:
            return f'INDEXED BY "{name}"'
    return ""


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _serial_chunks(alias: str, estate_id: int, plan: list[_Chunk]):
    reader = _Reader(connections[alias], estate_id)
    try:
        for spec in plan:
            yield spec, reader.entries(spec), reader.lines(spec), reader.unbalanced(spec)
    finally:
        reader.close()


# The queries of a chunk and how many readers share each, taking turns by chunk: the entries' query costs as much
# as the other two together, so two readers share it and no reader holds the others up.
QUERIES = (("entries", 2), ("lines", 1), ("unbalanced", 1))


def _parallel_chunks(alias: str, estate_id: int, plan: list[_Chunk]):
    """The queries in threads, each on a connection of its own, a few chunks ahead of the hashing: reader ``r`` of
    ``n`` for a query reads chunks r, r + n, r + 2n..."""
    stop = threading.Event()
    readers = [(name, r, n, queue.Queue(maxsize=2)) for name, n in QUERIES for r in range(n)]

    def offer(out: queue.Queue, item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce(name: str, first: int, step: int, out: queue.Queue) -> None:
        wrapper = connections.create_connection(alias)
        try:
            reader = _Reader(wrapper, estate_id)
            read = getattr(reader, name)
            for spec in plan[first::step]:
                if not offer(out, read(spec)):
                    return
            reader.close()
        except BaseException as error:  # handed to the consumer, which raises it
            offer(out, error)
        finally:
            wrapper.close()

    threads = [threading.Thread(target=produce, args=(name, r, n, q), daemon=True, name=f"ledger-verify-{name}-{r}")
               for name, r, n, q in readers]
    for thread in threads:
        thread.start()
    by_query = {name: [q for other, _r, _n, q in readers if other == name] for name, _n in QUERIES}
    try:
        for k, spec in enumerate(plan):
            items = [queues[k % len(queues)].get() for queues in by_query.values()]
            for item in items:
                if isinstance(item, BaseException):
                    raise item
            yield spec, *items
    finally:
        stop.set()
        for _name, _r, _n, q in readers:  # unblock a producer waiting to put
            while not q.empty():
                q.get_nowait()
        for thread in threads:
            thread.join()


# --- exact path ---------------------------------------------------------------------------------------------------
class _ExactScan(_Scan):
    """Entries in seq order through the ORM, each body written by ``chain.body`` itself. Slow (tens of seconds for
    a million entries) and only used when the fast path's assumptions fail, or to confirm its mismatches."""

    method = "exact"

    def __init__(self, estate_id: int, alias: str, head_seq: int, bounds):
        super().__init__(head_seq, bounds)
        self.estate_id = estate_id
        self.alias = alias

    def run(self) -> _Scan:
        entries = JournalEntry.objects.using(self.alias).filter(estate_id=self.estate_id)
        after, expected, prev_hash = 0, 1, chain.GENESIS
        beyond_reported = False
        while True:
            batch = list(entries.filter(seq__gt=after).order_by("seq")[:EXACT_CHUNK])
            if not batch:
                break
            details = self._details(batch)
            for entry in batch:
                if entry.seq > expected:
                    self.failures.add(entry_failure("gap", expected, None, last=entry.seq - 1))
                if entry.seq > self.head_seq and not beyond_reported:
                    self.failures.add(entry_failure("beyond_head", entry.seq, entry.pk, head=self.head_seq))
                    beyond_reported = True
                lines, public, private, reverses_seq = details(entry)
                if not self._matches(entry, lines, public, reverses_seq):
                    self.failures.add(entry_failure("hash_mismatch", entry.seq, entry.pk))
                if not self._private_matches(entry, private):
                    self.failures.add(entry_failure("private_mismatch", entry.seq, entry.pk))
                if entry.prev_hash != prev_hash:
                    self.failures.add(entry_failure("broken_link", entry.seq, entry.pk, prev=entry.seq - 1))
                debits = sum((d for _c, d, _k in lines), Decimal(0))
                credits = sum((k for _c, _d, k in lines), Decimal(0))
                if not lines or debits != credits:
                    self.failures.add(entry_failure("unbalanced", entry.seq, entry.pk))
                bound = self._bound_for(entry.seq)
                if bound is not None and entry.date.isoformat().encode() <= bound[1]:
                    self.failures.add(entry_failure("closed_period", entry.seq, entry.pk,
                                                    date=entry.date.isoformat(), period=bound[2]))
                if entry.seq <= self.head_seq:
                    self.entries += 1
                    self.lines += len(lines)
                    self.last_seq, self.last_hash = entry.seq, entry.hash
                prev_hash, expected = entry.hash, entry.seq + 1
            after = batch[-1].seq
        if expected <= self.head_seq:
            self.failures.add(entry_failure("gap", expected, None, last=self.head_seq))
        return self

    def _bound_for(self, seq: int):
        index = self.cut_after(seq)
        return self.bounds[index - 1] if index else None

    def _details(self, batch):
        ids = [e.pk for e in batch]
        lines: dict[int, list] = {}
        for entry_id, code, debit, credit in (JournalLine.objects.using(self.alias).filter(entry_id__in=ids)
                                              .order_by("entry_id", "line_no")
                                              .values_list("entry_id", "account__code", "debit", "credit")):
            lines.setdefault(entry_id, []).append((code, debit, credit))
        docs: dict[int, tuple[list, list]] = {}
        for entry_id, staff_only, sha in (EntryDocument.objects.using(self.alias).filter(entry_id__in=ids)
                                          .values_list("entry_id", "document__staff_only", "document__sha256")):
            docs.setdefault(entry_id, ([], []))[1 if staff_only else 0].append(sha)
        reversed_ids = [e.reverses_id for e in batch if e.reverses_id]
        seqs = dict(JournalEntry.objects.using(self.alias).filter(pk__in=reversed_ids).values_list("id", "seq"))

        def of(entry):
            public, private = docs.get(entry.pk, ([], []))
            reverses_seq = seqs.get(entry.reverses_id, "?") if entry.reverses_id else None
            return lines.get(entry.pk, []), public, private, reverses_seq

        return of

    def hash_matches(self, entry: JournalEntry) -> bool:
        lines = [(code, d, c) for code, d, c in JournalLine.objects.using(self.alias).filter(entry=entry)
                 .order_by("line_no").values_list("account__code", "debit", "credit")]
        public = list(EntryDocument.objects.using(self.alias).filter(entry=entry, document__staff_only=False)
                      .values_list("document__sha256", flat=True))
        reverses_seq = None
        if entry.reverses_id:
            reverses_seq = (JournalEntry.objects.using(self.alias).filter(pk=entry.reverses_id)
                            .values_list("seq", flat=True).first() or "?")
        return self._matches(entry, lines, public, reverses_seq)

    @staticmethod
    def _matches(entry: JournalEntry, lines, public, reverses_seq) -> bool:
        return chain.link(entry.prev_hash, exact_body(entry, lines, public, reverses_seq)) == entry.hash

    @staticmethod
    def _private_matches(entry: JournalEntry, private) -> bool:
        return chain.private_digest(
            nonce=entry.nonce, counterparty=entry.counterparty, staff_note=entry.staff_note, actor_id=entry.actor_id,
            actor_label=entry.actor_label, private_documents=private) == entry.private_digest


def exact_body(entry: JournalEntry, lines, public_documents, reverses_seq) -> str:
    """``chain.body`` of a stored entry: ``lines`` as (code, debit, credit) in line order."""
    return chain.body(
        estate_id=entry.estate_id, seq=entry.seq, date=entry.date, posted_at=chain.instant(entry.posted_at),
        kind=entry.kind, description=entry.description,
        counterparty="" if entry.counterparty_private else entry.counterparty, reference=entry.reference,
        reverses_seq=reverses_seq, actor_role=entry.actor_role, approval_id=entry.approval_id,
        private_digest=entry.private_digest, public_documents=public_documents,
        lines=[chain.line_text(code, chain.money(d), chain.money(c)) for code, d, c in lines])


# --- after the scan: head, checkpoints, files ---------------------------------------------------------------------
def _check_head(estate_id: int, alias: str, head_seq: int, head_hash: str, scan: _Scan, failures: _Failures) -> None:
    entries = JournalEntry.objects.using(alias).filter(estate_id=estate_id)
    if head_seq and scan.last_seq == head_seq and scan.last_hash != head_hash:
        entry_id = entries.filter(seq=head_seq).values_list("id", flat=True).first()
        failures.add(entry_failure("head_mismatch", head_seq, entry_id))
    # Entries beyond the head: posted while we read (the head moved: fine) or slipped in (it did not).
    now = LedgerHead.objects.using(alias).filter(estate_id=estate_id).values_list("seq", flat=True).first() or 0
    beyond = entries.filter(seq__gt=max(now, head_seq)).order_by("seq").values_list("seq", "id").first()
    if beyond is not None and scan.method == "fast":
        failures.add(entry_failure("beyond_head", beyond[0], beyond[1], head=max(now, head_seq)))


def _check_checkpoints(estate_id: int, alias: str, checkpoints: list[Checkpoint], head_seq: int,
                       failures: _Failures) -> None:
    seqs = {c.head_seq for c in checkpoints}
    hashes = dict(JournalEntry.objects.using(alias).filter(estate_id=estate_id, seq__in=seqs)
                  .values_list("seq", "hash"))
    hashes[0] = chain.GENESIS
    previous = 0
    for checkpoint in checkpoints:
        message = chain.checkpoint_message(
            estate_id=estate_id, period_start=checkpoint.period_start, period_end=checkpoint.period_end,
            head_seq=checkpoint.head_seq, head_hash=checkpoint.head_hash, signed_at=chain.instant(checkpoint.signed_at))
        if not signing.signature_valid(checkpoint.public_key, message, checkpoint.signature):
            failures.add(checkpoint_failure("forged_checkpoint", checkpoint))
        if checkpoint.head_seq > head_seq:
            failures.add(checkpoint_failure("checkpoint_mismatch", checkpoint, why=_(
                "it names entry #%(seq)s, beyond the chain head #%(head)s.") % {
                    "seq": checkpoint.head_seq, "head": head_seq}))
        elif hashes.get(checkpoint.head_seq) != checkpoint.head_hash:
            failures.add(checkpoint_failure("checkpoint_mismatch", checkpoint, why=_(
                "its head hash is not the hash of entry #%(seq)s.") % {"seq": checkpoint.head_seq}))
        elif checkpoint.head_seq < previous:
            failures.add(checkpoint_failure("checkpoint_mismatch", checkpoint, why=_(
                "it ends before the checkpoint of the month before it.")))
        previous = max(previous, checkpoint.head_seq)


def _check_files(estate_id: int, alias: str, failures: _Failures) -> int:
    """Rehash every stored document file of the estate against its recorded SHA-256."""
    checked = 0
    for document in Document.objects.using(alias).filter(estate_id=estate_id).order_by("id").iterator():
        checked += 1
        digest = hashlib.sha256()
        try:
            with document.file.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except (FileNotFoundError, OSError, ValueError):
            failures.add(Failure("file_missing", _("Document %(id)s (%(name)s): the stored file is missing.") % {
                "id": document.pk, "name": document.name}))
            continue
        if digest.hexdigest() != document.sha256:
            failures.add(Failure("file_mismatch", _("Document %(id)s (%(name)s): the stored file does not match "
                                                    "its recorded SHA-256.") % {"id": document.pk,
                                                                                "name": document.name}))
    return checked


# --- for the pages and the API ----------------------------------------------------------------------------------
RATE_SECONDS = 10


def verify_for_actor(*, actor) -> VerifyResult:
    """``ledger_verify`` of the actor's estate for anyone who may read the ledger, at most once per RATE_SECONDS
    per user (it reads the whole chain: a button anyone can press must not become a way to load the server)."""
    if not LedgerPolicy.can(actor, "verify"):
        raise Forbidden()
    if not cache.add(f"ledger:verify:{actor.user.pk}", 1, timeout=RATE_SECONDS):
        raise DomainError(gettext_lazy("Verification ran a moment ago; try again in %(seconds)s seconds."),
                          code="throttled", status=429, seconds=RATE_SECONDS)
    return ledger_verify(estate=actor.estate)
