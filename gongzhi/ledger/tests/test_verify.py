"""ledger_verify: a clean chain verifies; every kind of tampering with the stored rows is found and the first one named.

The tamper tests edit the database the way someone with database rights would: the append-only triggers refuse
UPDATE and DELETE, so they are dropped (SQLite) or disabled (PostgreSQL) first and put back after. The chunk size is
made tiny so that every story crosses chunk boundaries.
"""

import contextlib
import datetime
import hashlib
import io
import threading
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from gongzhi.core.db import _append_only_sql
from gongzhi.ledger import chain, services, signing, verify
from gongzhi.ledger.choices import ApprovalDecision, ApprovalKind, EntryKind
from gongzhi.ledger.models import (
    Approval,
    Checkpoint,
    Document,
    EntryDocument,
    JournalEntry,
    JournalLine,
    LedgerHead,
)
from gongzhi.ledger.tests.conftest import yesterday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The stories read the messages in English (the product's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch, settings, tmp_path):
    """Three entries per chunk: every story below spans several chunks and their edges. Files go to tmp_path."""
    monkeypatch.setattr(verify, "CHUNK", 3)
    settings.MEDIA_ROOT = tmp_path


def months_ago(n: int) -> datetime.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(n):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return day


def document(books, name: str, *, staff_only: bool = False, data: bytes | None = None) -> Document:
    data = data if data is not None else f"%PDF-1.4 {name}\n%%EOF\n".encode()
    doc = Document(estate=books.estate, name=name, content_type="application/pdf", size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), staff_only=staff_only, uploaded_by=books.finance.user)
    doc.file.save(name, ContentFile(data), save=False)
    doc.save()
    return doc


def post(books, when, description, *lines, actor=None, **fields) -> JournalEntry:
    return services.entry_post(estate=books.estate, actor=actor or books.finance, date=when,
                               kind=fields.pop("kind", EntryKind.MANUAL), description=description,
                               lines=[services.Line(a, debit=d, credit=c) for a, d, c in lines], **fields)


def tricky_ledger(books) -> list[JournalEntry]:
    """Entries with everything the canonical text has to get right, over two closed months and an open one."""
    old, older = months_ago(1), months_ago(2)
    approval = Approval.objects.create(estate=books.estate, kind=ApprovalKind.EXPENSE,
                                       decision=ApprovalDecision.APPROVED, decided_by_role="committee_chair")
    entries = [
        post(books, older, "电梯广告 Elevator ads（第一季度）", ("1002", "0.10", 0), ("4101", 0, "0.10"),
             counterparty="某广告公司", reference="ad-2026-Q1", kind=EntryKind.PUBLIC_REVENUE),
        post(books, older, "物业费", ("1012", "100.00", 0), ("4001", 0, "100.00"), counterparty="张三 1-101",
             counterparty_private=True, kind=EntryKind.FEE_PAYMENT),
        post(books, older + datetime.timedelta(days=3), "最大金额 the largest amount",
             ("1002", "999999999999.99", 0), ("4009", 0, "999999999999.99"), staff_note="核对 checked twice"),
        post(books, older + datetime.timedelta(days=4), "保洁 three-way split", ("5002", "33.33", 0),
             ("5003", "66.67", 0), ("5009", "0.01", 0), ("1002", 0, "100.01"), approval=approval,
             documents=[document(books, "发票.pdf"), document(books, "工资表.pdf", staff_only=True),
                        document(books, "合同.pdf")], actor=books.manager, kind=EntryKind.EXPENSE),
        post(books, older + datetime.timedelta(days=5), "x", ("1001", "7", 0), ("2202", 0, "7")),
    ]
    services.period_close(actor=books.finance, year=older.year, month=older.month)
    entries.append(services.entry_reverse(actor=books.finance, entry=entries[4], reason="录错 wrong account",
                                          date=old))
    entries.append(post(books, old + datetime.timedelta(days=1), "仅员工文件", ("5001", "12.30", 0),
                        ("1002", 0, "12.30"), documents=[document(books, "身份证.pdf", staff_only=True)]))
    services.period_close(actor=books.finance, year=old.year, month=old.month)
    entries.append(post(books, yesterday(), "本月 this month", ("1002", "88.80", 0), ("4102", 0, "88.80")))
    return entries


@contextlib.contextmanager
def tampering(*tables: str):
    """Lift the append-only triggers of ``tables`` as an attacker with database rights would; put them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred check
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
            else:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        try:
            yield cursor
        finally:
            for table in tables:
                if connection.vendor == "sqlite":
                    for sql in _append_only_sql("sqlite", table)[0]:
                        cursor.execute(sql)
                else:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def codes(result) -> list[tuple[str, int | None]]:
    return [(f.code, f.seq) for f in result.failures]


# --- a clean chain ------------------------------------------------------------------------------------------------
def test_a_clean_chain_verifies_entry_by_entry_and_checkpoint_by_checkpoint(books):
    entries = tricky_ledger(books)
    result = verify.ledger_verify(estate=books.estate)
    assert result.ok, result.summary()
    assert (result.entries, result.lines, result.checkpoints) == (8, 18, 2)
    assert (result.head_seq, result.head_hash) == (8, entries[-1].hash)
    assert result.method == "fast" and result.first is None
    assert "8 entries" in result.summary()


def test_an_empty_ledger_verifies(books):
    result = verify.ledger_verify(estate=books.estate)
    assert result.ok and result.entries == 0 and result.head_hash == chain.GENESIS


def test_another_estates_chain_is_not_mixed_in(books, other_estate, actor_for, post):
    tricky_ledger(books)
    theirs = actor_for("finance", other_estate)
    for amount in ("1.00", "2.00", "3.00", "4.00"):
        post(theirs, amount)
    post(books.finance, "5.00")  # ids of the two estates interleave
    assert verify.ledger_verify(estate=books.estate).entries == 9
    assert verify.ledger_verify(estate=other_estate).entries == 4


# --- parity: the fast path writes exactly chain.body ----------------------------------------------------------
def test_the_fast_path_writes_every_text_byte_for_byte_as_chain_py(books):
    entries = {e.seq: e for e in tricky_ledger(books)}
    texts = list(verify.fast_texts(estate=books.estate))
    assert [seq for seq, _m, _p in texts] == list(range(1, 9))
    for seq, message, private in texts:
        entry = entries[seq]
        lines = list(entry.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
        docs = list(EntryDocument.objects.filter(entry=entry).values_list("document__staff_only",
                                                                          "document__sha256"))
        body = chain.body(
            estate_id=books.estate.pk, seq=seq, date=entry.date, posted_at=chain.instant(entry.posted_at),
            kind=entry.kind, description=entry.description,
            counterparty="" if entry.counterparty_private else entry.counterparty, reference=entry.reference,
            reverses_seq=entry.reverses.seq if entry.reverses_id else None, actor_role=entry.actor_role,
            approval_id=entry.approval_id, private_digest=entry.private_digest,
            public_documents=[sha for staff, sha in docs if not staff],
            lines=[chain.line_text(code, chain.money(d), chain.money(c)) for code, d, c in lines])
        assert message == (entry.prev_hash + body).encode(), seq
        assert chain.link(entry.prev_hash, body) == entry.hash
        assert private == chain.US.join([
            entry.nonce, entry.counterparty, entry.staff_note, str(entry.actor_id or ""), entry.actor_label,
            chain.digests(sha for staff, sha in docs if staff)]).encode(), seq
        assert hashlib.sha256(private).hexdigest() == entry.private_digest
    fields = {seq: message[64:].split(chain.US.encode()) for seq, message, _p in texts}
    assert fields[1][-1] == b"1002|0.10|0.00\x1e4101|0.00|0.10"
    assert fields[3][-1] == b"1002|999999999999.99|0.00\x1e4009|0.00|999999999999.99"
    assert fields[2][7] == b""  # the private counterparty is not in the body, only in its digest
    assert fields[6][9] == b"5"  # the reversal names the entry it reverses by number
    assert fields[4][11] == str(entries[4].approval_id).encode() and fields[4][13].count(b",") == 1


# --- tampering --------------------------------------------------------------------------------------------------
def test_an_edited_amount_is_found_and_the_entry_named(books):
    entries = tricky_ledger(books)
    target = entries[2]
    with tampering("ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET debit = 999999999999.98 WHERE entry_id = %s AND line_no = 1",
                       [target.pk])
    result = verify.ledger_verify(estate=books.estate)
    assert not result.ok
    assert (result.first.code, result.first.seq, result.first.entry_id) == ("hash_mismatch", 3, target.pk)
    assert codes(result) == [("hash_mismatch", 3), ("unbalanced", 3)]
    assert "#3" in result.first.message and f"id {target.pk}" in result.first.message
    assert "#3" in result.summary()


def test_an_edited_description_is_found(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET description = %s WHERE id = %s",
                       ["电梯广告 Elevator ads（第二季度）", entries[0].pk])
    result = verify.ledger_verify(estate=books.estate)
    assert codes(result) == [("hash_mismatch", 1)] and result.first.entry_id == entries[0].pk


def test_an_edited_staff_note_is_found_through_the_private_digest(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET staff_note = 'nothing to see' WHERE id = %s",
                       [entries[2].pk])
    result = verify.ledger_verify(estate=books.estate)
    assert codes(result) == [("private_mismatch", 3)]
    assert "staff-only" in result.first.message


def test_a_swapped_staff_only_document_is_found(books):
    entries = tricky_ledger(books)
    forged = document(books, "另一份工资表.pdf", staff_only=True)
    with tampering("ledger_entrydocument") as cursor:
        cursor.execute("UPDATE ledger_entrydocument SET document_id = %s WHERE entry_id = %s AND document_id = %s",
                       [forged.pk, entries[6].pk, EntryDocument.objects.get(entry=entries[6]).document_id])
    assert codes(verify.ledger_verify(estate=books.estate)) == [("private_mismatch", 7)]


def test_a_rewritten_hash_breaks_the_link_to_the_next_entry(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET hash = %s WHERE id = %s", ["ab" * 32, entries[3].pk])
    assert codes(verify.ledger_verify(estate=books.estate))[:2] == [("hash_mismatch", 4), ("broken_link", 5)]


def test_a_deleted_entry_leaves_a_gap_that_is_named(books):
    entries = tricky_ledger(books)
    victim = entries[4]  # reversed by entry #6: drop the reversal's pointer too, as a thorough attacker would
    with tampering("ledger_journalentry", "ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET reverses_id = NULL WHERE reverses_id = %s", [victim.pk])
        cursor.execute("DELETE FROM ledger_journalline WHERE entry_id = %s", [victim.pk])
        cursor.execute("DELETE FROM ledger_journalentry WHERE id = %s", [victim.pk])
    result = verify.ledger_verify(estate=books.estate)
    assert result.method == "exact"
    assert (result.first.code, result.first.seq, result.first.entry_id) == ("gap", 5, None)
    assert "#5" in result.first.message
    assert ("broken_link", 6) in codes(result)


def test_an_entry_inserted_behind_the_heads_back_is_found(books):
    entries = tricky_ledger(books)
    last = entries[-1]
    extra = JournalEntry.objects.create(
        estate=books.estate, seq=9, date=last.date, posted_at=last.posted_at, kind=last.kind, description="多出来的",
        nonce="0" * 32, private_digest=last.private_digest, prev_hash=last.hash, hash="cd" * 32)
    JournalLine.objects.create(estate=books.estate, entry=extra, line_no=1, account=last.lines.first().account,
                               debit=1)
    result = verify.ledger_verify(estate=books.estate)
    assert codes(result) == [("beyond_head", 9)] and result.first.entry_id == extra.pk


def test_the_head_record_must_be_the_last_entry(books):
    tricky_ledger(books)
    LedgerHead.objects.filter(estate=books.estate).update(hash="ef" * 32)
    assert codes(verify.ledger_verify(estate=books.estate)) == [("head_mismatch", 8)]


def test_a_separator_smuggled_into_a_field_sends_verification_down_the_exact_path(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET description = %s WHERE id = %s", ["a\x1cb", entries[1].pk])
    result = verify.ledger_verify(estate=books.estate)
    assert result.method == "exact" and codes(result) == [("hash_mismatch", 2)]


def test_an_entry_slipped_into_a_closed_month_with_a_valid_hash_is_found(books):
    """Someone who can write rows and compute hashes appends an entry dated in a closed month and moves the head:
    the chain itself is valid, but the month was signed before it."""
    entries = tricky_ledger(books)
    last = entries[-1]
    closed = months_ago(2) + datetime.timedelta(days=9)
    account = last.lines.order_by("line_no").first().account
    other = last.lines.order_by("line_no").last().account
    now = timezone.now().replace(microsecond=0)
    digest = chain.private_digest(nonce="1" * 32, counterparty="", staff_note="", actor_id=None, actor_label="",
                                  private_documents=[])
    body = chain.body(estate_id=books.estate.pk, seq=9, date=closed, posted_at=chain.instant(now), kind="manual",
                      description="补记 back-dated", counterparty="", reference="", reverses_seq=None,
                      actor_role="finance", approval_id=None, private_digest=digest, public_documents=[],
                      lines=[chain.line_text(account.code, "5.00", "0.00"), chain.line_text(other.code, "0.00", "5.00")])
    forged = JournalEntry.objects.create(
        estate=books.estate, seq=9, date=closed, posted_at=now, kind="manual", description="补记 back-dated",
        actor_role="finance", nonce="1" * 32, private_digest=digest, prev_hash=last.hash,
        hash=chain.link(last.hash, body))
    JournalLine.objects.create(estate=books.estate, entry=forged, line_no=1, account=account, debit=5)
    JournalLine.objects.create(estate=books.estate, entry=forged, line_no=2, account=other, credit=5)
    LedgerHead.objects.filter(estate=books.estate).update(seq=9, hash=forged.hash)
    result = verify.ledger_verify(estate=books.estate)
    assert codes(result) == [("closed_period", 9)]
    assert closed.isoformat() in result.first.message and result.first.entry_id == forged.pk
    assert f"{months_ago(1):%Y-%m}" in result.first.message  # closed through the latest checkpoint before it


# --- checkpoints ------------------------------------------------------------------------------------------------
def _signed(books, checkpoint: Checkpoint, key: Ed25519PrivateKey | None = None, **changes) -> dict:
    fields = {"estate": books.estate, "period_start": checkpoint.period_start, "period_end": checkpoint.period_end,
              "head_seq": checkpoint.head_seq, "head_hash": checkpoint.head_hash, "signed_at": checkpoint.signed_at,
              **changes}
    message = chain.checkpoint_message(
        estate_id=books.estate.pk, period_start=fields["period_start"], period_end=fields["period_end"],
        head_seq=fields["head_seq"], head_hash=fields["head_hash"], signed_at=chain.instant(fields["signed_at"]))
    if key is None:
        return {**fields, "public_key": signing.public_key_hex(), "signature": signing.sign(message)}
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    return {**fields, "public_key": public, "signature": key.sign(message).hex()}


def _replace_checkpoint(checkpoint: Checkpoint, fields: dict) -> None:
    with tampering("ledger_checkpoint") as cursor:
        cursor.execute("DELETE FROM ledger_checkpoint WHERE id = %s", [checkpoint.pk])
    Checkpoint.objects.create(**fields)


@pytest.mark.parametrize("story", ["wrong signature", "untrusted key", "trusted key, wrong head"])
def test_a_forged_checkpoint_is_named_by_its_month(books, story):
    tricky_ledger(books)
    first = Checkpoint.objects.order_by("period_start").first()
    period = f"{first.period_start:%Y-%m}"
    if story == "wrong signature":
        fields = _signed(books, first)
        fields["signature"] = fields["signature"][:-2] + ("00" if fields["signature"][-2:] != "00" else "01")
        expected = "forged_checkpoint"
    elif story == "untrusted key":  # a correctly signed checkpoint, but not with the installation's key
        fields = _signed(books, first, key=Ed25519PrivateKey.generate())
        expected = "forged_checkpoint"
    else:
        fields = _signed(books, first, head_hash="12" * 32)
        expected = "checkpoint_mismatch"
    _replace_checkpoint(first, fields)
    result = verify.ledger_verify(estate=books.estate)
    assert [(f.code, f.period) for f in result.failures] == [(expected, period)]
    assert period in result.first.message
    if expected == "forged_checkpoint":
        assert f"Forged checkpoint {period}" in result.first.message


def test_a_checkpoint_beyond_the_head_does_not_match(books):
    tricky_ledger(books)
    last = Checkpoint.objects.order_by("period_start").last()
    _replace_checkpoint(last, _signed(books, last, head_seq=42))
    assert [f.code for f in verify.ledger_verify(estate=books.estate).failures] == ["checkpoint_mismatch"]


def test_older_keys_listed_as_trusted_still_verify(books, settings):
    tricky_ledger(books)
    old_key = Ed25519PrivateKey.generate()
    first = Checkpoint.objects.order_by("period_start").first()
    fields = _signed(books, first, key=old_key)
    _replace_checkpoint(first, fields)
    assert not verify.ledger_verify(estate=books.estate).ok
    settings.LEDGER_TRUSTED_KEYS = [fields["public_key"]]
    assert verify.ledger_verify(estate=books.estate).ok


# --- stored files -----------------------------------------------------------------------------------------------
def test_files_are_rehashed_on_request(books):
    tricky_ledger(books)
    assert verify.ledger_verify(estate=books.estate, check_files=True).files_checked == 4
    invoice = Document.objects.get(name="发票.pdf")
    with open(invoice.file.path, "ab") as f:
        f.write(b"% edited")
    payroll = Document.objects.get(name="工资表.pdf")
    payroll.file.storage.delete(payroll.file.name)
    result = verify.ledger_verify(estate=books.estate, check_files=True)
    assert sorted(f.code for f in result.failures) == ["file_mismatch", "file_missing"]
    assert verify.ledger_verify(estate=books.estate).ok  # without --files the rows alone are checked


# --- the two paths agree ------------------------------------------------------------------------------------------
def test_the_fast_and_the_exact_path_name_the_same_failures(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry", "ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET credit = 1 WHERE entry_id = %s AND line_no = 2", [entries[0].pk])
        cursor.execute("UPDATE ledger_journalentry SET staff_note = 'x' WHERE id = %s", [entries[3].pk])
        cursor.execute("UPDATE ledger_journalentry SET prev_hash = %s WHERE id = %s", ["0" * 64, entries[6].pk])
    fast = verify.ledger_verify(estate=books.estate)
    bounds = verify._closed_bounds(list(Checkpoint.objects.filter(estate=books.estate).order_by("period_start")))
    exact = verify._ExactScan(books.estate.pk, "default", 8, bounds).run()
    assert fast.method == "fast"
    assert codes(fast) == [(f.code, f.seq) for f in exact.failures.sorted()] == [
        ("hash_mismatch", 1), ("unbalanced", 1), ("private_mismatch", 4), ("broken_link", 7), ("hash_mismatch", 7)]


def test_failures_are_counted_beyond_the_ones_kept(books, post, monkeypatch):
    monkeypatch.setattr(verify, "MAX_REPORTED", 2)
    for _ in range(5):
        post(books.finance)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET staff_note = 'x' WHERE estate_id = %s", [books.estate.pk])
    result = verify.ledger_verify(estate=books.estate)
    assert result.failure_count == 5 and codes(result) == [("private_mismatch", 1), ("private_mismatch", 2)]


# --- threads and concurrency --------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_parallel_reading_finds_what_the_serial_one_does(books, monkeypatch):
    """Outside a transaction the entries (two readers taking turns by chunk), the lines and the balances are read
    on connections of their own, in threads; chunks of 3 entries make the readers take several turns."""
    monkeypatch.setattr(verify, "CHUNK", 3)
    entries = tricky_ledger(books)
    clean = verify.ledger_verify(estate=books.estate, parallel=True)
    assert clean.ok and clean.method == "fast" and clean.entries == len(entries)
    with tampering("ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET debit = 13 WHERE entry_id = %s AND line_no = 1",
                       [entries[6].pk])
    parallel = verify.ledger_verify(estate=books.estate, parallel=True)
    serial = verify.ledger_verify(estate=books.estate, parallel=False)
    assert codes(parallel) == codes(serial) == [("hash_mismatch", 7), ("unbalanced", 7)]


@pytest.mark.django_db(transaction=True)
def test_four_writers_at_once_leave_a_gapless_chain_that_verifies(books):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by design; the head's row lock is PostgreSQL's story")
    start = threading.Barrier(4)
    errors = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(),
                                    kind=EntryKind.PUBLIC_REVENUE, description=f"writer {n} #{i}",
                                    lines=[services.Line("1002", debit=Decimal(i + 1)),
                                           services.Line("4101", credit=Decimal(i + 1))])
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    seqs = list(JournalEntry.objects.filter(estate=books.estate).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 101))
    result = verify.ledger_verify(estate=books.estate)
    assert result.ok and result.entries == 100 and result.head_seq == 100


# --- manage.py verify_ledger ------------------------------------------------------------------------------------
def test_the_command_reports_every_estate_and_exits_0_when_all_verify(books, other_estate):
    tricky_ledger(books)
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    text = out.getvalue()
    assert f"{books.estate.name} (#{books.estate.pk}): OK. 8 entries (18 lines) through #8, 2 checkpoints" in text
    assert f"{other_estate.name} (#{other_estate.pk}): OK. 0 entries" in text


def test_the_command_names_the_tampered_entry_and_exits_1(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET debit = 0.2 WHERE entry_id = %s AND line_no = 1",
                       [entries[0].pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_ledger", estate=books.estate.pk, files=True, stdout=out)
    assert error.value.returncode == 1 and books.estate.name in str(error.value)
    text = out.getvalue()
    assert "DOES NOT VERIFY. 2 problem(s)" in text and "4 files rehashed" in text
    assert f"Entry #1 (id {entries[0].pk}): hash mismatch" in text


def test_the_command_refuses_an_unknown_estate(db):
    with pytest.raises(CommandError):
        call_command("verify_ledger", estate=999999, stdout=io.StringIO())


def test_the_command_runs_as_a_process_with_exit_code_1(books, settings):
    """The exit code itself, as cron sees it (CommandError's returncode through manage.py)."""
    from django.core.management import execute_from_command_line

    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET staff_note = 'x' WHERE id = %s", [entries[1].pk])
    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["manage.py", "verify_ledger", "--estate", str(books.estate.pk)])
    assert exit_.value.code == 1


def test_renumbered_lines_send_verification_down_the_exact_path_which_finds_the_content_intact(books):
    """Line numbers are not part of the text (their order is): the fast path cannot split such a chunk, the exact
    path reads the lines in the same order and finds every hash right."""
    entries = tricky_ledger(books)
    with tampering("ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET line_no = line_no + 10 WHERE entry_id = %s", [entries[3].pk])
    result = verify.ledger_verify(estate=books.estate)
    assert result.ok and result.method == "exact" and result.lines == 18
