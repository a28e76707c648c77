"""Finance's books in the console and the owners' public revenue page: who may open what, the forms post and show
the services' errors in place, and the lists cost a constant number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gongzhi.ledger import expenses, public_revenue, services
from gongzhi.ledger.choices import EntryKind, ExpenseStatus
from gongzhi.ledger.models import Document, ExpenseRequest, JournalEntry
from gongzhi.ledger.tests.conftest import yesterday
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db
TALLY = {"area_for": "300.00", "area_against": "50.25", "area_abstain": "0", "area_total": "425.50",
         "heads_for": "2", "heads_against": "1", "heads_abstain": "0", "heads_total": "3"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, books, *args):
    return reverse(f"ledger:{name}", args=[books.estate.pk, *args])


def pdf(name="发票.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def text(response) -> str:
    return response.content.decode()


def income(books, amount="1000.00", **fields):
    fields.setdefault("date", yesterday())
    return public_revenue.public_revenue_record(actor=books.finance, source_code="4101", amount=amount,
                                                counterparty="分众传媒", description="电梯广告", **fields)


# --- the journal ---------------------------------------------------------------------------------------------------
def test_finance_reads_the_journal_with_the_staff_only_fields(books, post):
    services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.FEE_PAYMENT,
                        description="物业费 10月", counterparty="张三 1-101", counterparty_private=True,
                        staff_note="现金，收据 A-77",
                        lines=[services.Line("1002", debit="300"), services.Line("4001", credit="300")])
    post(books.finance, "88.00", description="电梯广告")
    response = client_for(books.finance).get(url("books", books))
    body = text(response)
    assert response.status_code == 200
    assert "张三 1-101" in body and "现金，收据 A-77" in body and "private" in body
    assert body.index("电梯广告") < body.index("物业费 10月")  # newest first


def test_the_journal_filters_by_kind_account_text_and_dates(books, post):
    post(books.finance, "10.00", description="广告收入", date=yesterday() - datetime.timedelta(days=3))
    services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.MANUAL,
                        description="保洁费调整", lines=[services.Line("5002", debit="5"),
                                                        services.Line("1002", credit="5")])
    client = client_for(books.chair)
    assert "保洁费调整" not in text(client.get(url("books", books), {"kind": "public_revenue"}))
    only = text(client.get(url("books", books), {"account": "5002"}))
    assert "保洁费调整" in only and "广告收入" not in only
    assert "广告收入" not in text(client.get(url("books", books), {"q": "保洁"}))
    dated = text(client.get(url("books", books), {"date_from": yesterday().isoformat()}))
    assert "保洁费调整" in dated and "广告收入" not in dated


def test_the_journal_pages_by_cursor_and_costs_a_constant_number_of_queries(books, post,
                                                                           django_assert_max_num_queries):
    client = client_for(books.finance)
    client.get(url("books", books))  # the session and the access cache are warm
    for _ in range(3):
        post(books.finance, "1.00")
    # session, user, the chart (2: the filter's accounts), the entries with their lines and documents (3)
    with django_assert_max_num_queries(8) as few:
        client.get(url("books", books))
    for _ in range(60):
        post(books.finance, "1.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(url("books", books))
    assert text(first).count('id="entry-') == 50 and 'rel="next"' in text(first)
    following = first.context["pager"]["next_url"]
    assert text(client.get(following)).count('id="entry-') == 13


@pytest.mark.parametrize("who", ["owner", "tenant", "technician", "family"])
def test_the_journal_is_not_for_owners_or_other_staff(books, who):
    assert client_for(getattr(books, who)).get(url("books", books)).status_code == 403


def test_a_member_of_another_estate_gets_404_and_a_visitor_signs_in(books, other_estate, actor_for):
    outsider = actor_for("finance", other_estate)
    assert client_for(outsider).get(url("books", books)).status_code == 404
    response = Client().get(url("books", books))
    assert response.status_code == 302 and "login" in response["Location"]


# --- manual entries and reversals --------------------------------------------------------------------------------------
def _entry_form(**changes):
    data = {"date": yesterday().isoformat(), "kind": "opening", "description": "期初银行存款",
            "counterparty": "", "staff_note": "", "line-TOTAL_FORMS": "6", "line-INITIAL_FORMS": "0",
            "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "200",
            "line-0-account": "1002", "line-0-debit": "5000.00", "line-1-account": "3001",
            "line-1-credit": "5000.00"}
    data.update(changes)
    return data


def test_finance_posts_a_manual_entry_with_a_document(books):
    client = client_for(books.finance)
    assert client.get(url("entry_new", books)).status_code == 200
    response = client.post(url("entry_new", books), {**_entry_form(), "documents": [pdf("银行对账单.pdf")]})
    assert response.status_code == 302 and response["Location"] == url("books", books)
    entry = JournalEntry.objects.get()
    assert entry.kind == EntryKind.OPENING and entry.entry_documents.get().document.name == "银行对账单.pdf"
    assert list(entry.lines.values_list("account__code", "debit", "credit").order_by("line_no")) == [
        ("1002", Decimal("5000.00"), Decimal("0")), ("3001", Decimal("0"), Decimal("5000.00"))]


def test_an_unbalanced_entry_is_shown_again_with_the_error_and_nothing_is_written(books):
    client = client_for(books.finance)
    response = client.post(url("entry_new", books), {**_entry_form(**{"line-1-credit": "4999.99"}),
                                                     "documents": [pdf()]})
    assert response.status_code == 400 and "does not balance" in text(response)
    assert not JournalEntry.objects.exists() and not Document.objects.exists()


def test_an_entry_dated_in_a_closed_month_is_shown_again_with_the_conflict(books, post):
    old = (yesterday().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    post(books.finance, date=old)
    services.period_close(actor=books.finance, year=old.year, month=old.month)
    response = client_for(books.finance).post(url("entry_new", books), _entry_form(date=old.isoformat()))
    assert response.status_code == 409 and "is closed" in text(response)
    assert 'value="期初银行存款"' in text(response)
    assert JournalEntry.objects.count() == 1


def test_only_finance_and_the_manager_open_the_entry_form(books):
    assert client_for(books.chair).get(url("entry_new", books)).status_code == 403
    assert client_for(books.owner).post(url("entry_new", books), _entry_form()).status_code == 403
    assert not JournalEntry.objects.exists()


def test_finance_reverses_an_entry_with_a_reason(books, post):
    entry = post(books.finance, "66.00")
    client = client_for(books.finance)
    confirm = client.get(url("reverse", books, entry.pk))
    assert confirm.status_code == 200 and 'name="reason"' in text(confirm)
    assert client_for(books.chair).post(url("reverse", books, entry.pk), {"reason": "x"}).status_code == 403
    assert client.post(url("reverse", books, entry.pk), {"reason": ""}).status_code == 400
    response = client.post(url("reverse", books, entry.pk), {"reason": "金额录错"})
    assert response.status_code == 302
    reversal = JournalEntry.objects.get(reverses=entry)
    assert "金额录错" in reversal.description
    assert client.post(url("reverse", books, 10**9), {"reason": "x"}).status_code == 404
    assert "Already reversed by #2" in text(client.get(url("reverse", books, entry.pk)))


# --- expenses ------------------------------------------------------------------------------------------------------
def _expense_form(amount="20000.00", **changes):
    data = {"account": "5005", "pay_from": "1002", "amount": amount, "date": yesterday().isoformat(),
            "counterparty": "迅达电梯", "description": "3号楼电梯大修", "staff_note": "合同 2026-07",
            "key": "form-key-1"}
    data.update(changes)
    return data


def test_an_expense_above_the_threshold_goes_from_finance_to_the_committee_and_is_posted(books):
    finance = client_for(books.finance)
    response = finance.post(url("expense_new", books), {**_expense_form(), "documents": [pdf("报价单.pdf")]})
    expense = ExpenseRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url("expense", books, expense.pk)
    assert expense.status == ExpenseStatus.PENDING
    # the form is submitted again (a double click): the same expense
    assert finance.post(url("expense_new", books), {**_expense_form(), "documents": [pdf()]}).status_code == 302
    assert ExpenseRequest.objects.count() == 1
    # finance sees no decision buttons on its own expense, the chair does
    assert "Approve and post" not in text(finance.get(url("expense", books, expense.pk)))
    chair = client_for(books.chair)
    page = text(chair.get(url("expense", books, expense.pk)))
    assert "Approve and post" in page and "报价单.pdf" in page
    document = expense.expense_documents.get().document
    download = chair.get(url("books_document", books, document.pk))
    assert download.status_code == 200 and download["Content-Security-Policy"].endswith("sandbox")
    assert b"".join(download.streaming_content) == PDF_BYTES
    approved = chair.post(url("expense", books, expense.pk), {"action": "approve", "note": "同意"})
    assert approved.status_code == 302
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.POSTED and expense.entry.approval.note == "同意"
    # deciding again is a conflict
    assert chair.post(url("expense", books, expense.pk), {"action": "reject", "note": "x"}).status_code == 409


def test_a_rejection_needs_a_reason_shown_in_place(books):
    expense = expenses.expense_submit(actor=books.finance, account_code="5005", pay_from_code="1002",
                                      amount="20000.00", date=yesterday(), counterparty="迅达电梯",
                                      description="电梯大修", documents=[pdf()])
    response = client_for(books.committee).post(url("expense", books, expense.pk), {"action": "reject"})
    assert response.status_code == 400 and "note: is required" in text(response)
    assert ExpenseRequest.objects.get().status == ExpenseStatus.PENDING


def test_an_expense_without_its_document_is_shown_again_with_the_threshold(books):
    response = client_for(books.finance).post(url("expense_new", books), _expense_form(amount="10.00"))
    assert response.status_code == 400 and "above 0.00 yuan needs at least one supporting document" in text(
        response)
    assert not ExpenseRequest.objects.exists()


def test_the_requester_withdraws_from_the_detail_page(books):
    expense = expenses.expense_submit(actor=books.finance, account_code="5005", pay_from_code="1002",
                                      amount="20000.00", date=yesterday(), counterparty="迅达电梯",
                                      description="电梯大修", documents=[pdf()])
    assert client_for(books.manager).post(url("expense", books, expense.pk),
                                          {"action": "withdraw"}).status_code == 403
    assert client_for(books.finance).post(url("expense", books, expense.pk),
                                          {"action": "withdraw"}).status_code == 302
    assert ExpenseRequest.objects.get().status == ExpenseStatus.WITHDRAWN


def test_the_expense_list_by_status_and_its_query_budget(books, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            expenses.expense_submit(actor=books.finance, account_code="5002", pay_from_code="1002",
                                    amount="20000.00" if i % 2 else "100.00", date=yesterday(), counterparty="保洁",
                                    description=f"保洁 {i}", documents=[pdf()])

    client = client_for(books.chair)
    client.get(url("expenses", books))
    grow(2)
    with django_assert_max_num_queries(4) as few:
        client.get(url("expenses", books))
    grow(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("expenses", books), {"status": "pending"})
    assert text(response).count("badge lg-pending") == 11


@pytest.mark.parametrize("who", ["owner", "tenant", "technician"])
def test_expenses_are_not_for_owners_or_other_staff(books, who):
    client = client_for(getattr(books, who))
    assert client.get(url("expenses", books)).status_code == 403
    assert client.get(url("expense_new", books)).status_code == 403


# --- public revenue ------------------------------------------------------------------------------------------------
def test_finance_records_income_and_proposes_a_use_the_committee_records_the_owners_decision(books):
    finance = client_for(books.finance)
    recorded = finance.post(url("income_new", books), {
        "source": "4103", "received_into": "1002", "amount": "1000.00", "date": yesterday().isoformat(),
        "counterparty": "停车管理公司", "description": "地面停车位收入 10月", "key": "inc-1",
        "documents": [pdf("合同.pdf")]})
    assert recorded.status_code == 302 and recorded["Location"] == url("public_revenue", books)
    too_much = finance.post(url("public_revenue_use_new", books), {
        "pay_from": "1002", "amount": "1000.01", "date": yesterday().isoformat(), "counterparty": "绿源园艺",
        "description": "补种树木", "documents": [pdf("报价.pdf")]})
    assert too_much.status_code == 409 and "1000.00 yuan available" in text(too_much)
    proposed = finance.post(url("public_revenue_use_new", books), {
        "pay_from": "1002", "amount": "400.00", "date": yesterday().isoformat(), "counterparty": "绿源园艺",
        "description": "补种树木", "documents": [pdf("报价.pdf")]})
    use = ExpenseRequest.objects.get()
    assert proposed["Location"] == url("expense", books, use.pk)
    chair = client_for(books.chair)
    assert "Record the decision" in text(chair.get(url("expense", books, use.pk)))
    bad = chair.post(url("expense", books, use.pk), {"action": "owners", "decision": "approve",
                                                      **{**TALLY, "heads_abstain": "1"}, "documents": [pdf()]})
    assert bad.status_code == 400 and "add up to more than the total" in text(bad)
    good = chair.post(url("expense", books, use.pk), {"action": "owners", "decision": "approve", **TALLY,
                                                       "documents": [pdf("业主大会决议.pdf")]})
    assert good.status_code == 302
    use.refresh_from_db()
    assert use.status == ExpenseStatus.POSTED and use.approval.tally["area_for"] == "300.00"
    page = text(chair.get(url("expense", books, use.pk)))
    assert "业主大会决议.pdf" in page and "300.00" in page


def test_an_owner_reads_the_fund_and_the_share_of_each_of_their_houses(books):
    income(books, "1000.00")
    response = client_for(books.owner).get(url("public_revenue", books))
    body = text(response)
    assert response.status_code == 200 and 'id="fund-balance">1000.00<' in body
    assert response.context["base"] == "estate/portal_base.html"
    assert [str(s.share) for s in response.context["my_shares"]] == ["210.34", "282.02"]
    assert "330.79" not in body  # another owner's house
    assert "Record public revenue" not in body


def test_staff_see_every_houses_share(books):
    income(books, "1000.00")
    response = client_for(books.finance).get(url("public_revenue", books))
    assert response.context["base"] == "estate/console_base.html"
    assert sum(r.share for r in response.context["shares"]) == Decimal("1000.00")
    assert "330.79" in text(response)


@pytest.mark.parametrize("who", ["tenant", "family", "technician"])
def test_the_fund_page_is_for_owners_and_those_who_keep_the_books(books, who):
    assert client_for(getattr(books, who)).get(url("public_revenue", books)).status_code == 403


def test_the_fund_page_costs_a_constant_number_of_queries(books, django_assert_max_num_queries):
    client = client_for(books.owner)
    client.get(url("public_revenue", books))
    income(books)
    # session, user, two summaries (2 each), the uses, my houses, the houses' areas
    with django_assert_max_num_queries(10) as few:
        client.get(url("public_revenue", books))
    for i in range(10):
        income(books, "10.00", idempotency_key=f"i{i}")
        use = expenses.public_revenue_use_submit(actor=books.finance, amount="1.00", date=yesterday(),
                                                 counterparty="x", description=f"use {i}", documents=[pdf()])
        expenses.public_revenue_use_approve(actor=books.chair, expense_id=use.pk, tally=TALLY, documents=[pdf()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("public_revenue", books))
    assert len(response.context["uses"]) == 10


def test_documents_are_served_to_those_who_keep_the_books_and_only_from_their_estate(books, other_estate,
                                                                                     actor_for):
    from gongzhi.ledger import services as ledger

    ours = ledger.document_store(actor=books.finance, upload=pdf(), staff_only=True)
    theirs = ledger.document_store(actor=actor_for("finance", other_estate), upload=pdf())
    assert client_for(books.committee).get(url("books_document", books, ours.pk)).status_code == 200
    assert client_for(books.owner).get(url("books_document", books, ours.pk)).status_code == 403
    assert client_for(books.finance).get(url("books_document", books, theirs.pk)).status_code == 404


def test_the_entry_form_posts_once_however_often_it_is_submitted(books):
    client = client_for(books.finance)
    form = client.get(url("entry_new", books)).context["form"]
    data = {**_entry_form(), "key": form.initial["key"]}
    assert client.post(url("entry_new", books), data).status_code == 302
    assert client.post(url("entry_new", books), data).status_code == 302
    assert JournalEntry.objects.count() == 1


def test_the_residents_committee_liaison_reads_the_fund_only_when_the_estate_turns_it_on(books):
    assert client_for(books.liaison).get(url("public_revenue", books)).status_code == 403
    books.estate.rule_overrides = {"ledger.public_to_rc_liaison": True}
    books.estate.save()
    cache.clear()  # the members' cached copy of the estate
    response = client_for(books.liaison).get(url("public_revenue", books))
    assert response.status_code == 200 and response.context["my_shares"] == []
    assert client_for(books.liaison).get(url("books", books)).status_code == 403
