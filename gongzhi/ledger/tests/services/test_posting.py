"""Posting, reversing and closing: the chain's own rules."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.ledger import chain, services, signing
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.models import Checkpoint, JournalEntry, JournalLine, LedgerHead
from gongzhi.ledger.tests.conftest import yesterday

pytestmark = pytest.mark.django_db


def test_entries_are_numbered_and_each_links_to_the_one_before(books, post):
    first = post(books.finance, "100.00")
    second = post(books.finance, "250.50")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.hash
    head = LedgerHead.objects.get(pk=books.estate.pk)
    assert (head.seq, head.hash) == (2, second.hash)
    lines = list(second.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
    assert lines == [("1002", Decimal("250.50"), Decimal("0")), ("4101", Decimal("0"), Decimal("250.50"))]


def test_the_hash_is_the_canonical_body_chained(books, post):
    entry = post(books.finance, "88.80", counterparty="某广告公司", reference="ad-2026-10")
    body = chain.body(
        estate_id=books.estate.pk, seq=1, date=entry.date, posted_at=chain.instant(entry.posted_at),
        kind=entry.kind, description=entry.description, counterparty="某广告公司", reference="ad-2026-10",
        reverses_seq=None, actor_role="finance", approval_id=None, private_digest=entry.private_digest,
        public_documents=[], lines=["1002|88.80|0.00", "4101|0.00|88.80"])
    assert entry.hash == chain.link(chain.GENESIS, body)


def test_a_private_counterparty_is_committed_to_but_not_in_the_public_body(books):
    entry = services.entry_post(
        estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.FEE_PAYMENT,
        description="物业费", counterparty="张三 1-101", counterparty_private=True,
        lines=[services.Line("1002", debit="10"), services.Line("4001", credit="10")])
    assert entry.private_digest == chain.private_digest(
        nonce=entry.nonce, counterparty="张三 1-101", staff_note="", actor_id=books.finance.user.pk,
        actor_label=entry.actor_label, private_documents=[])


@pytest.mark.parametrize("lines, code", [
    ([("1002", "100", "0"), ("4101", "0", "99.99")], "unbalanced"),
    ([("1002", "100", "0")], "invalid_field"),
    ([("1002", "100", "100"), ("4101", "0", "0")], "invalid_field"),
    ([("1002", "-5", "0"), ("4101", "0", "-5")], "invalid_field"),
    ([("1002", "0.001", "0"), ("4101", "0", "0.001")], "invalid_field"),
    ([("1002", "1e30", "0"), ("4101", "0", "1e30")], "invalid_field"),
    ([("1002", "NaN", "0"), ("4101", "0", "NaN")], "invalid_field"),
    ([("9999", "1", "0"), ("4101", "0", "1")], "invalid_field"),
])
def test_bad_entries_are_refused_and_nothing_is_written(books, lines, code):
    with pytest.raises(DomainError) as error:
        services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.MANUAL,
                            description="x", lines=[services.Line(a, debit=d, credit=c) for a, d, c in lines])
    assert error.value.code == code
    assert error.value.status == 400
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()


def test_another_estates_account_is_refused(books, other_estate, actor_for, post):
    theirs = post(actor_for("finance", other_estate), "5.00")
    account = theirs.lines.first().account
    with pytest.raises(DomainError):
        services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.MANUAL,
                            description="x", lines=[services.Line(account, debit=5), services.Line("4101", credit=5)])


def test_control_characters_and_future_dates_are_refused(books, post):
    with pytest.raises(DomainError):
        post(books.finance, description="a\x1fb")
    with pytest.raises(DomainError):
        post(books.finance, date=timezone.localdate() + datetime.timedelta(days=1))
    assert not JournalEntry.objects.exists()


def test_only_finance_and_the_manager_post(books, post):
    post(books.manager)
    for actor in (books.owner, books.chair, books.technician, books.liaison):
        with pytest.raises(Forbidden):
            post(actor)


def test_the_same_reference_posts_once(books, post):
    first = post(books.finance, "10.00", reference="billing.payment:7")
    again = post(books.finance, "10.00", reference="billing.payment:7")
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1


def test_a_reversal_mirrors_the_entry_and_points_at_it(books, post):
    entry = post(books.finance, "66.00")
    reversal = services.entry_reverse(actor=books.finance, entry=entry, reason="录错金额 wrong amount")
    assert reversal.reverses_id == entry.pk and reversal.kind == EntryKind.REVERSAL
    lines = list(reversal.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
    assert lines == [("1002", Decimal("0"), Decimal("66.00")), ("4101", Decimal("66.00"), Decimal("0"))]
    assert services.entry_reverse(actor=books.finance, entry=entry, reason="again").pk == reversal.pk
    with pytest.raises(Conflict):
        services.entry_reverse(actor=books.finance, entry=reversal, reason="undo")


def test_the_database_refuses_to_edit_or_delete_a_posted_entry(books, post):
    entry = post(books.finance)
    for sql in (f"UPDATE ledger_journalentry SET description = 'x' WHERE id = {entry.pk}",
                f"UPDATE ledger_journalline SET debit = 1 WHERE entry_id = {entry.pk}",
                f"DELETE FROM ledger_journalline WHERE entry_id = {entry.pk}"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def _months_ago(n: int) -> datetime.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(n):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return day


def test_closing_a_month_signs_the_head_and_refuses_back_dated_entries(books, post):
    old = _months_ago(2)
    post(books.finance, "10.00", date=old)
    checkpoint = services.period_close(actor=books.finance, year=old.year, month=old.month)
    assert checkpoint.head_seq == 1 and checkpoint.public_key == signing.public_key_hex()
    message = chain.checkpoint_message(
        estate_id=books.estate.pk, period_start=checkpoint.period_start, period_end=checkpoint.period_end,
        head_seq=1, head_hash=checkpoint.head_hash, signed_at=chain.instant(checkpoint.signed_at))
    assert signing.signature_valid(checkpoint.public_key, message, checkpoint.signature)
    assert not signing.signature_valid(checkpoint.public_key, message + b"x", checkpoint.signature)
    with pytest.raises(Conflict) as error:
        post(books.finance, date=old + datetime.timedelta(days=3))
    assert error.value.code == "period_closed"
    assert services.period_close(actor=books.finance, year=old.year, month=old.month).pk == checkpoint.pk
    assert Checkpoint.objects.count() == 1


def test_periods_close_in_order_and_only_once_ended(books, post):
    post(books.finance, date=_months_ago(3))
    later = _months_ago(1)
    with pytest.raises(Conflict) as error:
        services.period_close(actor=books.finance, year=later.year, month=later.month)
    assert error.value.code == "period_out_of_order"
    now = timezone.localdate()
    with pytest.raises(Conflict):
        services.period_close(actor=books.finance, year=now.year, month=now.month)
    with pytest.raises(Forbidden):
        services.period_close(actor=books.chair, year=later.year, month=later.month)
