"""A closed month's export: the run of entries from a signed anchor to the month's signed head, public fields only."""

import datetime
import json

import pytest
from django.utils import timezone, translation

from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.ledger import chain, export, services, signing
from gongzhi.ledger.tests.test_verify import document, months_ago, post, tricky_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The stories read the messages in English (the product's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def close(books, month: datetime.date):
    return services.period_close(actor=books.finance, year=month.year, month=month.month)


def test_a_closed_month_holds_its_checkpoint_an_anchor_and_the_entries_between(books):
    entries = tricky_ledger(books)
    old = months_ago(1)
    data = export.period_export(actor=books.owner, year=old.year, month=old.month)
    assert data["format"] == "gz-ledger-export-1" and data["chain_format"] == chain.FORMAT
    assert data["estate"] == {"id": books.estate.pk, "name": books.estate.name}
    assert data["period"] == {"start": old.isoformat(), "end": (months_ago(0) - datetime.timedelta(days=1))
                              .isoformat()}
    assert data["public_key"] == signing.public_key_hex()
    assert (data["anchor"]["head_seq"], data["checkpoint"]["head_seq"]) == (5, 7)
    assert data["anchor"]["period_start"] == months_ago(2).isoformat()
    assert [e["seq"] for e in data["entries"]] == [6, 7]
    reversal = data["entries"][0]
    assert reversal["reverses_seq"] == 5 and reversal["hash"] == entries[5].hash and reversal["in_period"]
    assert reversal["lines"] == [{"account": "1001", "debit": "0.00", "credit": "7.00"},
                                 {"account": "2202", "debit": "7.00", "credit": "0.00"}]
    assert data["accounts"]["1001"] == "Cash on hand" and "5001" in data["accounts"]
    assert data["verify_with"] == "tools/verify_ledger.py"


def test_staff_only_fields_never_leave_in_the_export(books):
    tricky_ledger(books)
    older = months_ago(2)
    data = export.period_export(actor=books.owner, year=older.year, month=older.month)
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("张三", "核对 checked twice", books.finance.user.phone, "工资表"):
        assert secret not in text
    payroll = next(e for e in data["entries"] if e["seq"] == 4)
    assert len(payroll["public_documents"]) == 2  # the invoice and the contract; the payroll sheet only by digest
    assert payroll["counterparty"] == "" and data["entries"][1]["counterparty"] == ""
    assert set(payroll) == {"seq", "date", "posted_at", "kind", "description", "counterparty", "reference",
                            "reverses_seq", "actor_role", "approval_id", "private_digest", "public_documents",
                            "lines", "in_period", "prev_hash", "hash"}


def test_the_anchor_comes_before_the_first_entry_dated_in_the_month(books):
    """The 2nd of P2 booked before P1 was closed: P1's head already holds it, so P2's run starts at the genesis."""
    p1, p2, p3 = months_ago(3), months_ago(2), months_ago(1)
    post(books, p1, "P1", ("1002", "1", 0), ("4101", 0, "1"))
    post(books, p2 + datetime.timedelta(days=1), "P2 early", ("1002", "2", 0), ("4101", 0, "2"))
    close(books, p1)
    post(books, p2 + datetime.timedelta(days=5), "P2", ("1002", "3", 0), ("4101", 0, "3"))
    close(books, p2)
    post(books, p3, "P3", ("1002", "4", 0), ("4101", 0, "4"))
    close(books, p3)

    def run(month):
        data = export.period_export(actor=books.owner, year=month.year, month=month.month)
        return data["anchor"].get("genesis", False), [(e["seq"], e["in_period"]) for e in data["entries"]]

    assert run(p1) == (True, [(1, True), (2, False)])
    assert run(p2) == (True, [(1, False), (2, True), (3, True)])
    assert run(p3) == (False, [(4, True)])


def test_a_month_without_entries_exports_an_empty_run(books):
    p1, p2 = months_ago(2), months_ago(1)
    post(books, p1, "P1", ("1002", "1", 0), ("4101", 0, "1"))
    close(books, p1)
    close(books, p2)
    data = export.period_export(actor=books.owner, year=p2.year, month=p2.month)
    assert data["anchor"]["head_seq"] == data["checkpoint"]["head_seq"] == 1 and data["entries"] == []


@pytest.mark.parametrize("year, month", [(2026, 13), (0, 1), (99999, 1)])
def test_only_closed_months_can_be_exported(books, year, month):
    tricky_ledger(books)
    with pytest.raises(NotFound):
        export.period_export(actor=books.owner, year=year, month=month)
    today = timezone.localdate()
    with pytest.raises(NotFound):  # the open month
        export.period_export(actor=books.owner, year=today.year, month=today.month)


def test_family_members_and_tenants_may_not_export(books):
    tricky_ledger(books)
    old = months_ago(1)
    for actor in (books.family, books.tenant, books.technician):
        with pytest.raises(Forbidden):
            export.period_export(actor=actor, year=old.year, month=old.month)
    assert export.period_export(actor=books.chair, year=old.year, month=old.month)["entries"]


def test_another_estates_month_is_not_found(books, other_estate, actor_for):
    tricky_ledger(books)
    old = months_ago(1)
    with pytest.raises(NotFound):
        export.period_export(actor=actor_for("owner", other_estate), year=old.year, month=old.month)


def test_the_export_costs_a_constant_number_of_queries(books, django_assert_max_num_queries):
    older = months_ago(2)
    for i in range(3):
        post(books, older, f"n{i}", ("1002", "1", 0), ("4101", 0, "1"), documents=[document(books, f"{i}.pdf")])
    close(books, older)
    with django_assert_max_num_queries(9) as few:
        export.period_export(actor=books.owner, year=older.year, month=older.month)
    old = months_ago(1)
    for i in range(12):
        post(books, old, f"m{i}", ("1002", "1", 0), ("4101", 0, "1"), documents=[document(books, f"x{i}.pdf")])
    close(books, old)
    with django_assert_max_num_queries(len(few.captured_queries)):
        export.period_export(actor=books.owner, year=old.year, month=old.month)
