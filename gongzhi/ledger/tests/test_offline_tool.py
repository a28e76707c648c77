"""tools/verify_ledger.py, run as an owner runs it (a separate Python process, no Django) on a real export, then on
tampered copies; and its copy of the canonical text is chain.py's, byte for byte."""

import copy
import datetime
import importlib.util
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import translation

from gongzhi.ledger import chain, export, signing
from gongzhi.ledger.tests.test_verify import months_ago, tricky_ledger

pytestmark = pytest.mark.django_db
TOOL = Path(settings.BASE_DIR) / "tools" / "verify_ledger.py"


@pytest.fixture(autouse=True)
def english():
    """The stories read the messages in English (the product's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_ledger_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def exported(books, tmp_path):
    """The older closed month (5 entries, one with documents, one private counterparty) as a downloaded file."""
    tricky_ledger(books)
    older = months_ago(2)
    data = export.period_export(actor=books.owner, year=older.year, month=older.month)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, data


def run(path: Path, *keys: str) -> subprocess.CompletedProcess:
    args = [sys.executable, str(TOOL), str(path), *(a for k in keys for a in ("--public-key", k))]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, cwd=path.parent)


def tampered(path: Path, data: dict, change) -> Path:
    copied = copy.deepcopy(data)
    change(copied)
    out = path.with_name("tampered.json")
    out.write_text(json.dumps(copied, ensure_ascii=False), encoding="utf-8")
    return out


def test_a_real_export_verifies_and_the_periods_totals_are_printed(exported):
    done = run(exported[0], signing.public_key_hex())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 5 entries #1..#5 verified (5 dated in the period)" in done.stdout
    totals = {line.split()[0]: line.split()[-2:] for line in done.stdout.splitlines()[3:] if line[:1].isdigit()}
    assert totals["1002"] == ["1000000000000.09", "100.01"]
    assert totals["4009"] == ["0.00", "999999999999.99"]
    assert totals["5002"] == ["33.33", "0.00"]
    assert "Bank account" in done.stdout  # the account names, for reading


def test_without_a_key_the_files_own_key_is_used_with_a_warning(exported):
    done = run(exported[0])
    assert done.returncode == 0 and "WARNING" in done.stdout


@pytest.mark.parametrize("story, change, named", [
    ("an amount changed",
     lambda d: d["entries"][2]["lines"][0].update(debit="999999999999.98"), "entry #3"),
    ("a description changed",
     lambda d: d["entries"][0].update(description="电梯广告（改）"), "entry #1"),
    ("an entry removed",
     lambda d: d["entries"].pop(3), "entry #4 is missing"),
    ("the last entry removed",
     lambda d: d["entries"].pop(), "entries are missing"),
    ("an amount changed and the hashes recomputed",
     None, "does not arrive at the checkpoint's signed head"),
    ("the signature altered",
     lambda d: d["checkpoint"].update(signature="00" * 64), "checkpoint"),
    ("the head moved",
     lambda d: d["checkpoint"].update(head_seq=4), "checkpoint"),
])
def test_a_tampered_copy_fails_naming_the_entry_or_checkpoint(exported, story, change, named):
    path, data = exported
    if change is None:
        tool = load_tool()

        def change(d):  # a careful forger: edit an amount and recompute every later hash
            d["entries"][1]["lines"][0]["debit"] = d["entries"][1]["lines"][1]["credit"] = "1.00"
            prev = d["anchor"]["head_hash"]
            for e in d["entries"]:
                e["prev_hash"] = prev
                e["hash"] = prev = tool.link(prev, tool.body(
                    estate_id=d["estate"]["id"], seq=e["seq"], date=e["date"], posted_at=e["posted_at"],
                    kind=e["kind"], description=e["description"], counterparty=e["counterparty"],
                    reference=e["reference"], reverses_seq=e["reverses_seq"], actor_role=e["actor_role"],
                    approval_id=e["approval_id"], private_digest=e["private_digest"],
                    public_documents=e["public_documents"],
                    lines=[tool.line_text(ln["account"], ln["debit"], ln["credit"]) for ln in e["lines"]]))
    done = run(tampered(path, data, change), signing.public_key_hex())
    assert done.returncode == 1, story
    assert "FAILED" in done.stdout and named in done.stdout, done.stdout


def test_a_different_public_key_fails(exported):
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    done = run(exported[0], other)
    assert done.returncode == 1 and "signature is NOT valid" in done.stdout


def test_an_unreadable_file_is_exit_code_2(tmp_path):
    path = tmp_path / "nonsense.json"
    path.write_text("{not json", encoding="utf-8")
    assert run(path).returncode == 2


def test_a_later_month_verifies_from_its_signed_anchor(books, tmp_path):
    tricky_ledger(books)
    old = months_ago(1)
    data = export.period_export(actor=books.owner, year=old.year, month=old.month)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run(path, signing.public_key_hex())
    assert done.returncode == 0, done.stdout
    assert "OK: 2 entries #6..#7 verified" in done.stdout
    forged_anchor = tampered(path, data, lambda d: d["anchor"].update(head_hash="ab" * 32))
    done = run(forged_anchor, signing.public_key_hex())
    assert done.returncode == 1 and "anchor checkpoint" in done.stdout


# --- the tool's canonical text is chain.py's ---------------------------------------------------------------------
@pytest.mark.parametrize("fields", [
    {"estate_id": 7, "seq": 1, "date": datetime.date(2026, 9, 30), "posted_at": "2026-09-30T15:59:59Z",
     "kind": "fee_payment", "description": "物业费 2026年9月", "counterparty": "", "reference": "billing.payment:1",
     "reverses_seq": None, "actor_role": "finance", "approval_id": None, "private_digest": "ab" * 32,
     "public_documents": [], "lines": ["1012|100.00|0.00", "4001|0.00|100.00"]},
    {"estate_id": 12, "seq": 1000000, "date": datetime.date(2027, 1, 1), "posted_at": "2027-01-01T00:00:00Z",
     "kind": "reversal", "description": "Reversal of #5: 录错", "counterparty": "洁美保洁有限公司", "reference": "",
     "reverses_seq": 5, "actor_role": "manager", "approval_id": 3, "private_digest": "0" * 64,
     "public_documents": ["ff" * 32, "00" * 32, "a1" * 32], "lines": ["5002|0.00|0.10", "1002|0.10|0.00"]},
])
def test_the_tool_writes_the_same_bodies_as_chain_py(fields):
    tool = load_tool()
    assert tool.body(**fields) == chain.body(**fields)
    assert tool.link(chain.GENESIS, tool.body(**fields)) == chain.link(chain.GENESIS, chain.body(**fields))
    assert (tool.FORMAT, tool.GENESIS, tool.US, tool.RS) == (chain.FORMAT, chain.GENESIS, chain.US, chain.RS)
    for amount in (Decimal("0.1"), Decimal("100"), Decimal("999999999999.99"), "12.30", 0):
        assert tool.money(amount) == chain.money(Decimal(str(amount)))
    assert tool.digests(["b", "a"]) == chain.digests(["b", "a"])
    assert tool.line_text("3101-7", "1.00", "0.00") == chain.line_text("3101-7", "1.00", "0.00")
    assert tool.checkpoint_message(estate_id=7, period_start="2026-09-01", period_end="2026-09-30", head_seq=12,
                                   head_hash="cd" * 32, signed_at="2026-10-05T02:00:00Z") == \
        chain.checkpoint_message(estate_id=7, period_start=datetime.date(2026, 9, 1),
                                 period_end=datetime.date(2026, 9, 30), head_seq=12, head_hash="cd" * 32,
                                 signed_at="2026-10-05T02:00:00Z")
