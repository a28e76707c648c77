"""Expenses: finance enters them with their documents; above the estate's threshold the owners' committee decides;
nothing is half-written when anything is refused."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.ledger import expenses, services
from gongzhi.ledger.choices import ApprovalDecision, EntryKind, ExpenseStatus
from gongzhi.ledger.models import (
    Approval,
    Document,
    EntryDocument,
    ExpenseRequest,
    ExpenseRequestDocument,
    JournalEntry,
)
from gongzhi.ledger.tests.conftest import yesterday
from gongzhi.notices.tests.factories import PDF_BYTES
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def invoice(name="发票.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def set_rules(books, **rules):
    """Override the estate's rules, on the row and on every actor's copy of the estate."""
    overrides = {key.replace("__", "."): value for key, value in rules.items()}
    books.estate.rule_overrides.update(overrides)
    books.estate.save()
    for actor in vars(books).values():
        if hasattr(actor, "roles"):
            actor.estate.rule_overrides.update(overrides)


def submit(actor, amount="800.00", account_code="5002", **fields):
    fields.setdefault("pay_from_code", "1002")
    fields.setdefault("date", yesterday())
    fields.setdefault("counterparty", "洁美保洁公司")
    fields.setdefault("description", "10月保洁外包")
    fields.setdefault("documents", [invoice()])
    return expenses.expense_submit(actor=actor, account_code=account_code, amount=amount, **fields)


def nothing_written(media):
    assert not ExpenseRequest.objects.exists()
    assert not Document.objects.exists()
    assert not JournalEntry.objects.exists()
    assert stored_files(media) == []


# --- the approval threshold ----------------------------------------------------------------------------------------
def test_an_expense_at_the_threshold_is_posted_at_once_with_its_documents(books):
    expense = submit(books.finance, "10000.00")
    assert expense.status == ExpenseStatus.POSTED and expense.approval is None
    entry = expense.entry
    assert entry.kind == EntryKind.EXPENSE and entry.reference == f"expense:{expense.pk}"
    lines = list(entry.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
    assert lines == [("5002", Decimal("10000.00"), Decimal("0")), ("1002", Decimal("0"), Decimal("10000.00"))]
    document = ExpenseRequestDocument.objects.get(expense=expense).document
    assert EntryDocument.objects.filter(entry=entry, document=document).exists()
    assert document.name == "发票.pdf" and not document.staff_only


def test_one_fen_above_the_threshold_waits_for_the_committee_who_are_notified(books):
    expense = submit(books.finance, "10000.01")
    assert expense.status == ExpenseStatus.PENDING and expense.entry is None
    assert not JournalEntry.objects.exists()
    told = set(Notification.objects.values_list("user_id", "kind"))
    assert told == {(books.chair.user.pk, "ledger_approval"), (books.committee.user.pk, "ledger_approval")}
    assert "10000.01" in Notification.objects.filter(user=books.chair.user).get().body


def test_the_threshold_is_the_estates_rule(books):
    set_rules(books, ledger__expense_approval_over="500")
    assert submit(books.finance, "500.00").status == ExpenseStatus.POSTED
    assert submit(books.finance, "500.01").status == ExpenseStatus.PENDING


def test_a_cost_of_public_revenue_is_an_expense_on_5101_under_the_same_thresholds(books):
    expense = submit(books.finance, "300.00", account_code="5101", description="广告牌维护")
    assert expense.entry.kind == EntryKind.PUBLIC_REVENUE_COST
    assert submit(books.finance, "10000.01", account_code="5101").status == ExpenseStatus.PENDING


# --- the document rule ---------------------------------------------------------------------------------------------
def test_by_default_every_expense_needs_a_document(books, media):
    with pytest.raises(DomainError) as error:
        submit(books.finance, "0.01", documents=[])
    assert error.value.code == "expense_document_required" and error.value.status == 400
    assert "0.00" in error.value.text("en")
    nothing_written(media)


def test_the_document_rule_at_its_boundary(books, media):
    set_rules(books, ledger__expense_document_over="200")
    at = submit(books.finance, "200.00", documents=[])
    assert at.status == ExpenseStatus.POSTED and not at.entry.entry_documents.exists()
    with pytest.raises(DomainError) as error:
        submit(books.finance, "200.01", documents=[])
    assert error.value.code == "expense_document_required"
    assert "above 200.00 yuan" in error.value.text("en")
    assert ExpenseRequest.objects.count() == 1


def test_staff_only_documents_are_marked(books):
    expense = submit(books.finance, documents=[invoice("发票.pdf"), invoice("工资明细.pdf")],
                     staff_only_documents=[1])
    flags = [ed.document.staff_only for ed in expense.expense_documents.order_by("id")]
    assert flags == [False, True]


# --- bad input ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1e30"}, "amount"),
    ({"amount": "一百"}, "amount"),
    ({"account_code": "4101"}, "account_code"),
    ({"account_code": "3001"}, "account_code"),
    ({"account_code": "1002"}, "account_code"),
    ({"account_code": "9999"}, "account_code"),
    ({"pay_from_code": "1201"}, "pay_from_code"),
    ({"pay_from_code": "1012"}, "pay_from_code"),
    ({"counterparty": "  "}, "counterparty"),
    ({"description": ""}, "description"),
    ({"description": "a\x1fb"}, "description"),
    ({"date": timezone.localdate() + datetime.timedelta(days=1)}, "date"),
    ({"date": "2026-13-01"}, "date"),
])
def test_bad_input_is_refused_and_nothing_is_written(books, media, changes, field):
    with pytest.raises(DomainError) as error:
        submit(books.finance, **changes)
    assert error.value.status == 400 and error.value.detail["field"] == field
    nothing_written(media)


def test_a_refused_second_upload_leaves_no_document_and_no_file(books, media):
    with pytest.raises(DomainError) as error:
        submit(books.finance, documents=[invoice(), SimpleUploadedFile("fake.pdf", b"not a pdf at all")])
    assert error.value.code == "attachment_type"
    nothing_written(media)


def test_a_failure_after_the_files_were_stored_removes_them(books, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(expenses, "_notify_committee", broken)
    with pytest.raises(RuntimeError):
        submit(books.finance, "20000.00")
    nothing_written(media)


def test_an_expense_dated_in_a_closed_period_is_refused(books, post):
    old = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    post(books.finance, date=old)
    services.period_close(actor=books.finance, year=old.year, month=old.month)
    with pytest.raises(Conflict) as error:
        submit(books.finance, date=old)
    assert error.value.code == "period_closed"
    assert not ExpenseRequest.objects.exists()


# --- idempotency ------------------------------------------------------------------------------------------------------
def test_a_repeated_submit_returns_the_first_expense_and_stores_nothing_more(books, media):
    first = submit(books.finance, idempotency_key="exp-2026-10-clean")
    again = submit(books.finance, idempotency_key="exp-2026-10-clean", amount="999.00")
    assert again.pk == first.pk and again.amount == Decimal("800.00")
    assert ExpenseRequest.objects.count() == 1 and Document.objects.count() == 1
    assert JournalEntry.objects.count() == 1 and len(stored_files(media)) == 1


# --- roles ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["owner", "tenant", "technician", "chair", "family"])
def test_only_finance_and_the_manager_enter_expenses(books, media, who):
    with pytest.raises(Forbidden):
        submit(getattr(books, who))
    nothing_written(media)


def test_the_manager_enters_expenses_too(books):
    assert submit(books.manager).status == ExpenseStatus.POSTED


# --- approval ---------------------------------------------------------------------------------------------------------
def test_the_committee_approves_and_the_entry_carries_the_approval(books):
    expense = submit(books.finance, "25000.00", description="外墙清洗")
    approved = expenses.expense_approve(actor=books.chair, expense_id=expense.pk, note="价格合理")
    assert approved.status == ExpenseStatus.POSTED
    approval = Approval.objects.get()
    assert (approval.kind, approval.decision, approval.decided_by, approval.decided_by_role, approval.rule_set) == (
        "expense", ApprovalDecision.APPROVED, books.chair.user, "committee_chair", "national")
    entry = approved.entry
    assert entry.approval == approval and entry.actor == books.finance.user and entry.actor_role == "finance"
    assert entry.entry_documents.count() == 1 and entry.date == yesterday()
    assert Notification.objects.filter(user=books.finance.user).count() == 1


def test_approving_twice_is_a_conflict_and_posts_once(books):
    expense = submit(books.finance, "25000.00")
    expenses.expense_approve(actor=books.chair, expense_id=expense.pk)
    with pytest.raises(Conflict) as error:
        expenses.expense_approve(actor=books.committee, expense_id=expense.pk)
    assert error.value.code == "expense_decided" and error.value.status == 409
    assert "“Posted”: it was already decided" in error.value.text("en")
    assert JournalEntry.objects.count() == 1 and Approval.objects.count() == 1


def test_a_rejected_expense_posts_nothing(books):
    expense = submit(books.finance, "25000.00")
    with pytest.raises(DomainError):
        expenses.expense_reject(actor=books.committee, expense_id=expense.pk, note=" ")
    rejected = expenses.expense_reject(actor=books.committee, expense_id=expense.pk, note="报价过高")
    assert rejected.status == ExpenseStatus.REJECTED
    assert rejected.approval.decision == ApprovalDecision.REJECTED and rejected.approval.note == "报价过高"
    assert not JournalEntry.objects.exists()
    with pytest.raises(Conflict):
        expenses.expense_approve(actor=books.chair, expense_id=expense.pk)


def test_a_committee_member_who_entered_the_expense_cannot_approve_it(books, actor_for):
    both = actor_for("committee_member", books.estate, user=books.finance.user)
    expense = submit(both, "25000.00")
    with pytest.raises(Forbidden) as error:
        expenses.expense_approve(actor=both, expense_id=expense.pk)
    assert error.value.code == "own_expense"
    assert expenses.expense_approve(actor=books.chair, expense_id=expense.pk).status == ExpenseStatus.POSTED


def test_who_may_decide(books, other_estate, actor_for):
    expense = submit(books.finance, "25000.00")
    for actor in (books.finance, books.manager):
        with pytest.raises(Forbidden):
            expenses.expense_approve(actor=actor, expense_id=expense.pk)
    for actor in (books.owner, books.tenant, books.technician, actor_for("committee_chair", other_estate)):
        with pytest.raises(NotFound):
            expenses.expense_approve(actor=actor, expense_id=expense.pk)
    with pytest.raises(NotFound):
        expenses.expense_approve(actor=books.chair, expense_id=10**9)
    assert ExpenseRequest.objects.get().status == ExpenseStatus.PENDING and not Approval.objects.exists()


def test_an_expense_whose_period_closed_while_waiting_is_posted_on_the_day_of_approval(books, post):
    old = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    expense = submit(books.finance, "25000.00", date=old)
    post(books.finance, date=old)
    services.period_close(actor=books.finance, year=old.year, month=old.month)
    approved = expenses.expense_approve(actor=books.chair, expense_id=expense.pk)
    assert approved.entry.date == timezone.localdate()


# --- withdrawal ---------------------------------------------------------------------------------------------------------
def test_the_requester_withdraws_a_pending_expense_and_no_one_else_may(books):
    expense = submit(books.finance, "25000.00")
    with pytest.raises(Forbidden):
        expenses.expense_withdraw(actor=books.manager, expense_id=expense.pk)
    withdrawn = expenses.expense_withdraw(actor=books.finance, expense_id=expense.pk)
    assert withdrawn.status == ExpenseStatus.WITHDRAWN
    with pytest.raises(Conflict):
        expenses.expense_withdraw(actor=books.finance, expense_id=expense.pk)
    with pytest.raises(Conflict):
        expenses.expense_approve(actor=books.chair, expense_id=expense.pk)
    assert not JournalEntry.objects.exists()


def test_the_same_key_submitted_at_the_same_moment_records_once(books, media, monkeypatch):
    """Given a first submit, when a second one with the same key misses it at the check (it was still being
    written), then the database's unique key refuses the second, its files are removed and the first returned."""
    first = submit(books.finance, idempotency_key="race-1")
    real = expenses._by_key
    calls = []

    def missed_once(estate, key):
        calls.append(key)
        return None if len(calls) == 1 else real(estate, key)

    monkeypatch.setattr(expenses, "_by_key", missed_once)
    again = submit(books.finance, idempotency_key="race-1")
    assert again.pk == first.pk and len(calls) == 2
    assert ExpenseRequest.objects.count() == 1 and Document.objects.count() == 1
    assert len(stored_files(media)) == 1
