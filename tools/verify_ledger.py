#!/usr/bin/env python3
"""Verify a downloaded Gongzhi ledger period offline, without trusting the server that produced it.

    python verify_ledger.py ledger-12-2026-09.json --public-key 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c

Needs Python 3.9+ and the ``cryptography`` package (``pip install cryptography``) for Ed25519 signatures; nothing
else. Take the public key from the estate's notice board or the printed disclosure report, not from the file: the
file's own key proves nothing about who signed it.

What it checks: the period's checkpoint and its anchor (the checkpoint before the period, or the start of the
chain) are signed by that key; the entries in between are numbered without gaps; each entry's text hashes, together
with the hash before it, to its stated hash (the same rule as the server's ``gongzhi/ledger/chain.py``, repeated
line for line below); the chain arrives exactly at the checkpoint's signed head; every entry balances. Then it
prints the period's totals per account, to compare with the disclosure report. Exit code 0: all verified; 1: some
check failed (the first failure is named); 2: the file could not be read.
"""

import argparse
import hashlib
import json
import sys
from decimal import Decimal

# --- the canonical text: a copy of gongzhi/ledger/chain.py (keep the two identical) ------------------------------
FORMAT = "gz-ledger-1"
GENESIS = "0" * 64
US = "\x1f"
RS = "\x1e"


def money(value) -> str:
    """An amount as the chain writes it: two decimals, no sign, no grouping ("1234.50")."""
    return f"{Decimal(value):.2f}"


def digests(values) -> str:
    return ",".join(sorted(values))


def line_text(account_code: str, debit: str, credit: str) -> str:
    return f"{account_code}|{debit}|{credit}"


def body(*, estate_id, seq, date, posted_at, kind, description, counterparty, reference, reverses_seq, actor_role,
         approval_id, private_digest, public_documents, lines) -> str:
    """The canonical body. ``date`` is ISO text here (a ``datetime.date`` on the server: its isoformat())."""
    return US.join([FORMAT, str(estate_id), str(seq), date if isinstance(date, str) else date.isoformat(), posted_at,
                    kind, description, counterparty, reference, "" if reverses_seq is None else str(reverses_seq),
                    actor_role, "" if approval_id is None else str(approval_id), private_digest,
                    digests(public_documents), RS.join(lines)])


def link(prev_hash: str, entry_body: str) -> str:
    return hashlib.sha256((prev_hash + entry_body).encode()).hexdigest()


def checkpoint_message(*, estate_id, period_start, period_end, head_seq, head_hash, signed_at) -> bytes:
    """What a checkpoint's Ed25519 signature covers."""
    return US.join(["gz-ledger-checkpoint-1", str(estate_id), period_start, period_end, str(head_seq), head_hash,
                    signed_at]).encode()


# --- checking a file ------------------------------------------------------------------------------------------------
class Failed(Exception):
    pass


def signature_valid(public_keys, message: bytes, signature: str) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        sys.exit("This tool needs the 'cryptography' package for Ed25519 signatures: pip install cryptography")
    for key in public_keys:
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(bytes.fromhex(signature), message)
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def check_checkpoint(estate_id, checkpoint: dict, public_keys, name: str) -> None:
    message = checkpoint_message(estate_id=estate_id, period_start=checkpoint["period_start"],
                                 period_end=checkpoint["period_end"], head_seq=checkpoint["head_seq"],
                                 head_hash=checkpoint["head_hash"], signed_at=checkpoint["signed_at"])
    if not signature_valid(public_keys, message, checkpoint["signature"]):
        raise Failed(f"{name} {checkpoint['period_start'][:7]}: the signature is NOT valid under the public key "
                     "(the checkpoint was altered, or signed by someone else).")


def verify(export: dict, public_keys) -> dict:
    """Checks the file; returns the period's totals per account code as (debits, credits). Raises Failed."""
    if export.get("chain_format") != FORMAT:
        raise Failed(f"unknown chain format {export.get('chain_format')!r}; this tool reads {FORMAT}")
    estate_id = export["estate"]["id"]
    checkpoint, anchor = export["checkpoint"], export["anchor"]
    check_checkpoint(estate_id, checkpoint, public_keys, "checkpoint")
    if anchor.get("genesis"):
        if anchor["head_seq"] != 0 or anchor["head_hash"] != GENESIS:
            raise Failed("the anchor claims to be the start of the chain but is not")
    else:
        check_checkpoint(estate_id, anchor, public_keys, "anchor checkpoint")
    prev, expected = anchor["head_hash"], anchor["head_seq"] + 1
    totals: dict[str, list] = {}
    for entry in export["entries"]:
        seq = entry["seq"]
        if seq != expected:
            raise Failed(f"entry #{expected} is missing (the next entry in the file is #{seq})")
        if entry["prev_hash"] != prev:
            raise Failed(f"entry #{seq}: its previous hash is not the hash of entry #{seq - 1}")
        lines = [line_text(ln["account"], money(ln["debit"]), money(ln["credit"])) for ln in entry["lines"]]
        text = body(estate_id=estate_id, seq=seq, date=entry["date"], posted_at=entry["posted_at"],
                    kind=entry["kind"], description=entry["description"], counterparty=entry["counterparty"],
                    reference=entry["reference"], reverses_seq=entry["reverses_seq"],
                    actor_role=entry["actor_role"], approval_id=entry["approval_id"],
                    private_digest=entry["private_digest"], public_documents=entry["public_documents"], lines=lines)
        computed = link(prev, text)
        if computed != entry["hash"]:
            raise Failed(f"entry #{seq} ({entry['date']}, {entry['description']}): its content does not match its "
                         "hash (the entry was altered)")
        debits = sum(Decimal(ln["debit"]) for ln in entry["lines"])
        credits = sum(Decimal(ln["credit"]) for ln in entry["lines"])
        if not entry["lines"] or debits != credits:
            raise Failed(f"entry #{seq}: debits {debits} and credits {credits} do not balance")
        if entry["in_period"]:
            for ln in entry["lines"]:
                total = totals.setdefault(ln["account"], [Decimal(0), Decimal(0)])
                total[0] += Decimal(ln["debit"])
                total[1] += Decimal(ln["credit"])
        prev, expected = computed, seq + 1
    if expected - 1 != checkpoint["head_seq"]:
        raise Failed(f"the entries end at #{expected - 1}, not at the checkpoint's last entry "
                     f"#{checkpoint['head_seq']} (entries are missing)")
    if prev != checkpoint["head_hash"]:
        raise Failed(f"the chain does not arrive at the checkpoint's signed head: entry #{expected - 1} or one "
                     "before it was altered")
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a downloaded Gongzhi ledger period offline.")
    parser.add_argument("export", help="the downloaded file (ledger-<estate>-<YYYY-MM>.json)")
    parser.add_argument("--public-key", action="append", default=[], metavar="HEX",
                        help="the estate's published public key (64 hex digits); may be given more than once "
                             "after a key rotation. Without it the file's own key is used, which proves little.")
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as f:
            export = json.load(f)
        estate, period = export["estate"], export["period"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"Cannot read {args.export}: {error}", file=sys.stderr)
        return 2
    keys = [k.strip().lower() for k in args.public_key if k.strip()]
    print(f"Estate {estate['name']} (#{estate['id']}), period {period['start']} to {period['end']}")
    if not keys:
        keys = [export.get("public_key", "")]
        print("WARNING: no --public-key given; using the key written in the file itself. Compare it with the key "
              f"on your estate's notice board: {keys[0]}")
    try:
        totals = verify(export, keys)
    except Failed as failure:
        print(f"FAILED: {failure}")
        return 1
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        print(f"FAILED: the file is malformed ({error.__class__.__name__}: {error})")
        return 1
    entries = export["entries"]
    in_period = sum(1 for e in entries if e["in_period"])
    checkpoint = export["checkpoint"]
    print(f"OK: {len(entries)} entries #{export['anchor']['head_seq'] + 1}..#{checkpoint['head_seq']} verified "
          f"({in_period} dated in the period), ending at the signed head {checkpoint['head_hash'][:16]}…")
    names = export.get("accounts", {})
    print()
    print(f"{'account':<10} {'name':<36} {'debit':>18} {'credit':>18}")
    for code in sorted(totals):
        debit, credit = totals[code]
        print(f"{code:<10} {names.get(code, '')[:36]:<36} {money(debit):>18} {money(credit):>18}")
    debit = sum((t[0] for t in totals.values()), Decimal(0))
    credit = sum((t[1] for t in totals.values()), Decimal(0))
    print(f"{'total':<10} {'':<36} {money(debit):>18} {money(credit):>18}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
