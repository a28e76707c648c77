"""The books over the API as its clients use it: finance posts and enters expenses with files, the committee
decides, owners read the public revenue fund and their shares; roles and estates are kept apart; lists keep a
constant query count."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.ledger import expenses, public_revenue
from gongzhi.ledger.models import Document, ExpenseRequest, JournalEntry
from gongzhi.ledger.tests.conftest import yesterday
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db
JSON = "application/json"
TALLY = {"area_for": "300.00", "area_against": "50.25", "area_abstain": "0", "area_total": "425.50",
         "heads_for": 2, "heads_against": 1, "heads_abstain": 0, "heads_total": 3}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def client_of(books, api):
    def make(who):
        return api(getattr(books, who).user, [books.estate])

    return make


def base(books) -> str:
    return f"/api/v1/estates/{books.estate.pk}/ledger"


def pdf(name="发票.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def expense_form(amount="20000.00", **changes):
    data = {"account_code": "5005", "pay_from_code": "1002", "amount": amount, "date": yesterday().isoformat(),
            "counterparty": "迅达电梯", "description": "电梯大修", "staff_note": "合同 2026-07"}
    data.update(changes)
    return data


def income(books, amount="1000.00", **fields):
    return public_revenue.public_revenue_record(actor=books.finance, source_code="4101", amount=amount,
                                                date=yesterday(), counterparty="分众传媒", description="电梯广告",
                                                **fields)


# --- the journal -------------------------------------------------------------------------------------------------
def test_finance_posts_a_manual_entry_with_an_uploaded_document_and_reads_it_back(books, client_of):
    finance = client_of("finance")
    uploaded = finance.post(f"{base(books)}/books/documents", {"file": pdf("对账单.pdf"), "staff_only": "true"})
    assert uploaded.status_code == 201, uploaded.json()
    document = uploaded.json()
    assert document["staff_only"] is True and document["name"] == "对账单.pdf"
    payload = {"date": yesterday().isoformat(), "kind": "opening", "description": "期初银行存款",
               "staff_note": "2025年审计报告", "idempotency_key": "opening-2026", "document_ids": [document["id"]],
               "lines": [{"account_code": "1002", "debit": "5000.00"}, {"account_code": "3001", "credit": "5000.00"}]}
    created = finance.post(f"{base(books)}/books/entries", payload, content_type=JSON)
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert entry["kind"] == "opening" and entry["staff_note"] == "2025年审计报告" and entry["amount"] == "5000.00"
    assert [d["id"] for d in entry["documents"]] == [document["id"]]
    again = finance.post(f"{base(books)}/books/entries", payload, content_type=JSON)
    assert again.json()["id"] == entry["id"] and JournalEntry.objects.count() == 1
    detail = finance.get(f"{base(books)}/books/entries/{entry['id']}").json()
    assert detail["lines"][0]["account_code"] == "1002" and detail["actor_label"]
    download = client_of("committee").get(f"{base(books)}/books/documents/{document['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert client_of("owner").get(f"{base(books)}/books/documents/{document['id']}").status_code == 403


def test_an_unbalanced_entry_and_another_estates_document_are_refused(books, client_of, other_estate, actor_for):
    from gongzhi.ledger import services

    theirs = services.document_store(actor=actor_for("finance", other_estate), upload=pdf())
    finance = client_of("finance")
    lines = [{"account_code": "1002", "debit": "5.00"}, {"account_code": "4101", "credit": "4.99"}]
    response = finance.post(f"{base(books)}/books/entries", {"date": yesterday().isoformat(), "description": "x",
                                                             "lines": lines}, content_type=JSON)
    assert response.status_code == 400 and response.json()["code"] == "unbalanced"
    lines[1]["credit"] = "5.00"
    response = finance.post(f"{base(books)}/books/entries", {"date": yesterday().isoformat(), "description": "x",
                                                             "lines": lines, "document_ids": [theirs.pk]},
                            content_type=JSON)
    assert response.status_code == 400 and response.json()["detail"]["field"] == "document_ids"
    assert not JournalEntry.objects.filter(estate=books.estate).exists()


def test_reversing_over_the_api(books, client_of, post):
    entry = post(books.finance, "66.00")
    finance = client_of("finance")
    url = f"{base(books)}/books/entries/{entry.pk}/reverse"
    first = finance.post(url, {"reason": "金额录错"}, content_type=JSON)
    assert first.status_code == 201 and first.json()["reverses_seq"] == entry.seq
    assert finance.post(url, {"reason": "again"}, content_type=JSON).json()["id"] == first.json()["id"]
    undo = finance.post(f"{base(books)}/books/entries/{first.json()['id']}/reverse", {"reason": "x"},
                        content_type=JSON)
    assert undo.status_code == 409 and undo.json()["code"] == "reversal_of_reversal"
    assert client_of("chair").post(url, {"reason": "x"}, content_type=JSON).status_code == 403


def test_the_private_journal_is_for_finance_the_manager_and_the_committee(books, client_of, post):
    entry = post(books.finance)
    assert client_of("chair").get(f"{base(books)}/books/entries").status_code == 200
    for who in ("owner", "tenant", "technician"):
        client = client_of(who)
        assert client.get(f"{base(books)}/books/entries").status_code == 403
        assert client.get(f"{base(books)}/books/entries/{entry.pk}").status_code == 403


def test_the_journal_pages_by_cursor_at_a_constant_query_count(books, client_of, post,
                                                               django_assert_max_num_queries):
    finance = client_of("finance")
    for _ in range(3):
        post(books.finance, "1.00")
    with django_assert_max_num_queries(6) as few:
        finance.get(f"{base(books)}/books/entries", {"limit": 50})
    for _ in range(60):
        post(books.finance, "1.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = finance.get(f"{base(books)}/books/entries", {"limit": 50}).json()
    assert len(page["items"]) == 50 and page["items"][0]["seq"] == 63
    rest = finance.get(f"{base(books)}/books/entries", {"cursor": page["next_cursor"]}).json()
    assert [e["seq"] for e in rest["items"]] == list(range(13, 0, -1)) and rest["next_cursor"] is None


# --- expenses --------------------------------------------------------------------------------------------------------
def test_an_expense_with_files_waits_for_the_committee_who_approve_it(books, client_of):
    finance = client_of("finance")
    created = finance.post(f"{base(books)}/expenses", {**expense_form(), "documents": [pdf("报价.pdf"), pdf("合同.pdf")],
                                                       "staff_only": [1]})
    assert created.status_code == 201, created.json()
    expense = created.json()
    assert expense["status"] == "pending" and expense["kind"] == "expense" and expense["entry_id"] is None
    assert [(d["name"], d["staff_only"]) for d in expense["documents"]] == [("报价.pdf", False), ("合同.pdf", True)]
    url = f"{base(books)}/expenses/{expense['id']}"
    assert finance.post(f"{url}/approve", {}, content_type=JSON).status_code == 403
    approved = client_of("chair").post(f"{url}/approve", {"note": "同意"}, content_type=JSON)
    assert approved.status_code == 200 and approved.json()["status"] == "posted"
    assert approved.json()["approval"]["decided_by_role"] == "committee_chair"
    again = client_of("committee").post(f"{url}/approve", {}, content_type=JSON)
    assert again.status_code == 409 and again.json()["code"] == "expense_decided"


def test_at_the_threshold_an_expense_is_posted_at_once(books, client_of):
    created = client_of("manager").post(f"{base(books)}/expenses", {**expense_form("10000.00"),
                                                                    "documents": [pdf()]})
    assert created.json()["status"] == "posted" and created.json()["entry_seq"] == 1


def test_an_expense_without_a_document_is_refused_and_nothing_is_stored(books, client_of):
    response = client_of("finance").post(f"{base(books)}/expenses", expense_form("10.00"))
    assert response.status_code == 400 and response.json()["code"] == "expense_document_required"
    not_a_pdf = SimpleUploadedFile("x.pdf", b"MZ not a pdf")
    fake = client_of("finance").post(f"{base(books)}/expenses", {**expense_form("10.00"),
                                                                 "documents": [pdf(), not_a_pdf]})
    assert fake.status_code == 400 and fake.json()["code"] == "attachment_type"
    assert not ExpenseRequest.objects.exists() and not Document.objects.exists()


def test_reject_and_withdraw(books, client_of):
    finance = client_of("finance")
    first = finance.post(f"{base(books)}/expenses", {**expense_form(), "documents": [pdf()]}).json()
    second = finance.post(f"{base(books)}/expenses", {**expense_form(), "documents": [pdf()]}).json()
    rejected = client_of("committee").post(f"{base(books)}/expenses/{first['id']}/reject", {"note": "报价过高"},
                                           content_type=JSON)
    assert rejected.json()["status"] == "rejected" and rejected.json()["approval"]["note"] == "报价过高"
    withdrawn = finance.post(f"{base(books)}/expenses/{second['id']}/withdraw", {}, content_type=JSON)
    assert withdrawn.json()["status"] == "withdrawn"
    assert not JournalEntry.objects.exists()


def test_roles_and_estates_for_expenses(books, client_of, other_estate, actor_for, api):
    expense = expenses.expense_submit(actor=books.finance, account_code="5005", pay_from_code="1002",
                                      amount="20000.00", date=yesterday(), counterparty="迅达电梯",
                                      description="电梯大修", documents=[pdf()])
    owner = client_of("owner")
    assert owner.post(f"{base(books)}/expenses", {**expense_form(), "documents": [pdf()]}).status_code == 403
    assert owner.get(f"{base(books)}/expenses/{expense.pk}").status_code == 404
    assert owner.post(f"{base(books)}/expenses/{expense.pk}/approve", {}, content_type=JSON).status_code == 404
    outsider = actor_for("committee_chair", other_estate)
    theirs = api(outsider.user, [other_estate])
    response = theirs.post(f"/api/v1/estates/{other_estate.pk}/ledger/expenses/{expense.pk}/approve", {},
                           content_type=JSON)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert ExpenseRequest.objects.get().status == "pending"


def test_the_expense_list_filters_and_keeps_a_constant_query_count(books, client_of, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            expenses.expense_submit(actor=books.finance, account_code="5002", pay_from_code="1002",
                                    amount="20000.00" if i % 2 else "100.00", date=yesterday(), counterparty="保洁",
                                    description=f"保洁 {i}", documents=[pdf()])

    chair = client_of("chair")
    grow(2)
    with django_assert_max_num_queries(4) as few:
        chair.get(f"{base(books)}/expenses")
    grow(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        listed = chair.get(f"{base(books)}/expenses", {"status": "pending"}).json()
    assert len(listed["items"]) == 11 and {e["status"] for e in listed["items"]} == {"pending"}


# --- public revenue ------------------------------------------------------------------------------------------------
def test_income_a_use_and_the_owners_decision_over_the_api(books, client_of):
    finance = client_of("finance")
    recorded = finance.post(f"{base(books)}/public-revenue/income", {
        "source_code": "4103", "amount": "1000.00", "date": yesterday().isoformat(), "counterparty": "停车公司",
        "description": "地面停车 10月", "documents": [pdf("合同.pdf")]})
    assert recorded.status_code == 201 and recorded.json()["kind"] == "public_revenue"
    proposed = finance.post(f"{base(books)}/public-revenue/uses", {
        "amount": "400.00", "date": yesterday().isoformat(), "counterparty": "绿源园艺", "description": "补种树木",
        "documents": [pdf("报价.pdf")]})
    assert proposed.status_code == 201 and proposed.json()["kind"] == "use"
    use_id = proposed.json()["id"]
    chair = client_of("chair")
    no_minutes = chair.post(f"{base(books)}/public-revenue/uses/{use_id}/approve", TALLY)
    assert no_minutes.status_code == 400 and no_minutes.json()["code"] == "decision_document_required"
    failed = chair.post(f"{base(books)}/public-revenue/uses/{use_id}/approve",
                        {**TALLY, "heads_for": 1, "heads_against": 1, "documents": [pdf()]})
    assert failed.status_code == 400 and failed.json()["code"] == "tally_not_passed"
    approved = chair.post(f"{base(books)}/public-revenue/uses/{use_id}/approve",
                          {**TALLY, "note": "业主大会决议", "documents": [pdf("决议.pdf")]})
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "posted" and body["approval"]["tally"]["heads_for"] == 2
    assert [d["name"] for d in body["approval"]["documents"]] == ["决议.pdf"]
    summary = client_of("owner").get(f"{base(books)}/public-revenue").json()
    assert summary["all_time"]["balance"] == "600.00" and summary["uses"][0]["tally"]["area_for"] == "300.00"


def test_an_owner_reads_the_fund_and_their_shares_but_not_every_houses(books, client_of):
    income(books, "1000.00")
    owner = client_of("owner")
    body = owner.get(f"{base(books)}/public-revenue").json()
    assert body["all_time"]["balance"] == "1000.00" and body["this_year"]["income_total"] in {"1000.00", "0.00"}
    assert [(s["house_id"], s["share"]) for s in body["my_shares"]] == [(books.houses[0].pk, "210.34"),
                                                                         (books.houses[1].pk, "282.02")]
    assert owner.get(f"{base(books)}/public-revenue/shares").status_code == 403
    assert client_of("tenant").get(f"{base(books)}/public-revenue").status_code == 403


def test_staff_page_through_every_houses_share(books, client_of):
    income(books, "1000.00")
    finance = client_of("finance")
    first = finance.get(f"{base(books)}/public-revenue/shares", {"limit": 3}).json()
    rest = finance.get(f"{base(books)}/public-revenue/shares", {"cursor": first["next_cursor"]}).json()
    shares = [Decimal(r["share"]) for r in first["items"] + rest["items"]]
    assert len(shares) == 4 and sum(shares) == Decimal("1000.00") and rest["next_cursor"] is None


def test_the_public_revenue_summary_keeps_a_constant_query_count(books, client_of, django_assert_max_num_queries):
    owner = client_of("owner")
    income(books)
    with django_assert_max_num_queries(10) as few:
        owner.get(f"{base(books)}/public-revenue")
    for i in range(10):
        income(books, "10.00", idempotency_key=f"i{i}")
        use = expenses.public_revenue_use_submit(actor=books.finance, amount="1.00", date=yesterday(),
                                                 counterparty="x", description=f"use {i}", documents=[pdf()])
        expenses.public_revenue_use_approve(actor=books.chair, expense_id=use.pk, tally=TALLY, documents=[pdf()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = owner.get(f"{base(books)}/public-revenue").json()
    assert len(body["uses"]) == 10


def test_only_manual_and_opening_entries_are_posted_by_hand(books):
    from gongzhi.core.errors import DomainError
    from gongzhi.ledger import books as console

    with pytest.raises(DomainError) as error:
        console.manual_entry_post(actor=books.finance, date=yesterday(), kind="fund_use", description="x",
                                  lines=[])
    assert error.value.code == "invalid_field" and error.value.detail["field"] == "kind"
