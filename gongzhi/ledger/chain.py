"""The canonical text of a journal entry and the hash chain over it (ADR 0010).

This is the one definition of what an entry's hash covers. ``tools/verify_ledger.py`` (what an owner runs on a
downloaded period, with no Gongzhi installed) repeats it line for line; ``tests/test_offline_tool.py`` keeps the two
identical.

An entry's body is its fields joined by the unit separator (0x1F), lines joined by the record separator (0x1E);
free text may not contain control characters, so the joining is unambiguous:

    gz-ledger-1 ␟ estate ␟ seq ␟ date ␟ posted_at ␟ kind ␟ description ␟ public counterparty ␟ reference ␟
    reversed seq ␟ poster's role ␟ approval id ␟ private digest ␟ public document digests ␟ lines

    hash = SHA-256(prev_hash ‖ body), hex; the first entry's prev_hash is 64 zeros.

Staff-only fields (a resident's name as counterparty, the staff note, who exactly posted, staff-only documents)
are not in the body: the body carries ``private_digest``, a salted SHA-256 commitment to them, so the public export
verifies offline while the server's own verification still detects an edit of a private field.
"""

import datetime
import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal

FORMAT = "gz-ledger-1"
GENESIS = "0" * 64
US = "\x1f"
RS = "\x1e"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def money(value: Decimal | int) -> str:
    """An amount as the chain writes it: two decimals, no sign, no grouping ("1234.50")."""
    return f"{Decimal(value):.2f}"


def instant(value: datetime.datetime) -> str:
    """A posting time as the chain writes it: UTC, whole seconds ("2026-11-21T07:30:00Z")."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digests(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


def line_text(account_code: str, debit: str, credit: str) -> str:
    return f"{account_code}|{debit}|{credit}"


def private_digest(*, nonce: str, counterparty: str, staff_note: str, actor_id: int | None, actor_label: str,
                   private_documents: Iterable[str]) -> str:
    text = US.join([nonce, counterparty, staff_note, "" if actor_id is None else str(actor_id), actor_label,
                    digests(private_documents)])
    return hashlib.sha256(text.encode()).hexdigest()


def body(*, estate_id: int, seq: int, date: datetime.date, posted_at: str, kind: str, description: str,
         counterparty: str, reference: str, reverses_seq: int | None, actor_role: str, approval_id: int | None,
         private_digest: str, public_documents: Iterable[str], lines: Iterable[str]) -> str:
    """The canonical body. ``posted_at`` is already ``instant()``-formatted, ``counterparty`` is the public one
    ("" when private), ``lines`` are ``line_text()`` strings in line order."""
    return US.join([FORMAT, str(estate_id), str(seq), date.isoformat(), posted_at, kind, description, counterparty,
                    reference, "" if reverses_seq is None else str(reverses_seq), actor_role,
                    "" if approval_id is None else str(approval_id), private_digest, digests(public_documents),
                    RS.join(lines)])


def link(prev_hash: str, entry_body: str) -> str:
    return hashlib.sha256((prev_hash + entry_body).encode()).hexdigest()


def checkpoint_message(*, estate_id: int, period_start: datetime.date, period_end: datetime.date, head_seq: int,
                       head_hash: str, signed_at: str) -> bytes:
    """What a checkpoint's Ed25519 signature covers."""
    return US.join(["gz-ledger-checkpoint-1", str(estate_id), period_start.isoformat(), period_end.isoformat(),
                    str(head_seq), head_hash, signed_at]).encode()
