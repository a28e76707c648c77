"""The public ledger API as its clients use it: an owner's app reads the year at a glance, pages through the entries
behind a total, opens one with its invoice, fetches the disclosure report as JSON and as PDF; staff-only fields are
null for owners and present for finance; members who are not owners get 403; the lists keep a constant query count.
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.ledger import signing
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.models import LedgerHead
from gongzhi.ledger.tests.test_disclosure import Y, book, build_ledger, close_through, day
from gongzhi.ledger.tests.web.test_public_pages import SECRETS

pytestmark = pytest.mark.django_db

@pytest.fixture
def ledger(books, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_ledger(books)



def base(books) -> str:
    return f"/api/v1/estates/{books.estate.pk}/ledger"


@pytest.fixture
def owner_api(ledger, api):
    return api(ledger.books.owner.user, [ledger.books.estate])


@pytest.fixture
def finance_api(ledger, api):
    return api(ledger.books.finance.user, [ledger.books.estate])


def assert_no_secret(response) -> None:
    raw = json.dumps(response.json(), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in raw, secret


def test_the_summary_of_this_year(ledger, owner_api):
    response = owner_api.get(f"{base(ledger.books)}/summary")
    assert response.status_code == 200
    data = response.json()
    # Nothing was posted this year in the story: the balances carry over from last year.
    assert data["income_total"] == "0.00" and data["public_revenue_balance"] == "4400.00"
    assert data["maintenance_fund_balance"] == "4624.50" and data["public_key"] == signing.public_key_hex()
    assert data["latest_checkpoint"] is None
    close_through(ledger.books, day(1, 1))
    latest = owner_api.get(f"{base(ledger.books)}/summary").json()["latest_checkpoint"]
    head = LedgerHead.objects.get(pk=ledger.books.estate.pk)
    assert latest["period_start"] == f"{Y}-01-01" and latest["head_seq"] == head.seq


def test_the_entries_behind_a_total_with_their_amounts_and_total(ledger, owner_api):
    response = owner_api.get(f"{base(ledger.books)}/entries", {"group": "expense", "from": f"{Y}-01-01",
                                                               "to": f"{Y}-12-31"})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == "1400.00" and data["next_cursor"] is None
    assert sum(Decimal(e["drill_amount"]) for e in data["items"]) == Decimal("1400.00")
    reversal = next(e for e in data["items"] if e["kind"] == "reversal")
    assert reversal["drill_amount"] == "-999.00" and reversal["reverses_seq"] == ledger.mistake.seq
    fees = owner_api.get(f"{base(ledger.books)}/entries", {"account": "4001"})
    payment = next(e for e in fees.json()["items"] if e["id"] == ledger.fee_payment.pk)
    assert payment["counterparty"] == "" and payment["counterparty_private"] is True
    assert payment["staff_note"] is None and payment["actor_label"] is None
    assert [d["name"] for d in payment["documents"]] == ["receipt.pdf"]
    assert_no_secret(fees)


def test_bad_filters_are_a_400(ledger, owner_api):
    for query in ({"account": "41 01"}, {"group": "x"}, {"kind": "x"}, {"from": f"{Y}-05-01", "to": f"{Y}-01-01"}):
        assert owner_api.get(f"{base(ledger.books)}/entries", query).status_code == 400, query
    assert owner_api.get(f"{base(ledger.books)}/entries", {"from": "not-a-date"}).status_code == 422


def test_an_entry_with_its_approval_and_reversal_links(ledger, owner_api):
    roof_entry = ledger.roof.payments.get().entry
    data = owner_api.get(f"{base(ledger.books)}/entries/{roof_entry.pk}").json()
    assert data["approval"]["decision"] == "approved" and data["approval"]["decided_by"] is None
    assert [d["name"] for d in data["approval"]["documents"]] == ["minutes.pdf"]
    mistake = owner_api.get(f"{base(ledger.books)}/entries/{ledger.mistake.pk}").json()
    assert mistake["reversed_by"] == {"id": ledger.reversal.pk, "seq": ledger.reversal.seq}
    reversal = owner_api.get(f"{base(ledger.books)}/entries/{ledger.reversal.pk}").json()
    assert reversal["reverses"] == {"id": ledger.mistake.pk, "seq": ledger.mistake.seq}
    entry = owner_api.get(f"{base(ledger.books)}/entries/{ledger.fee_payment.pk}")
    assert entry.json()["hash"] == ledger.fee_payment.hash
    assert_no_secret(entry)


def test_finance_gets_the_staff_only_fields(ledger, finance_api):
    data = finance_api.get(f"{base(ledger.books)}/entries/{ledger.fee_payment.pk}").json()
    assert data["counterparty"] == "张三 1-1-101" and data["staff_note"] == "现金，收据 A-77"
    assert {d["name"] for d in data["documents"]} == {"receipt.pdf", "payslip.pdf"}
    roof = finance_api.get(f"{base(ledger.books)}/entries/{ledger.roof.payments.get().entry.pk}").json()
    assert roof["approval"]["decided_by"] == "李主任 13800000000"


def test_documents_through_the_api(ledger, owner_api, finance_api):
    invoice = owner_api.get(f"{base(ledger.books)}/documents/{ledger.invoice.pk}")
    assert invoice.status_code == 200 and invoice["Content-Disposition"].startswith("attachment")
    assert invoice["X-Content-Type-Options"] == "nosniff"
    payslip = f"{base(ledger.books)}/documents/{ledger.payslip.pk}"
    assert owner_api.get(payslip).status_code == 404 and owner_api.get(payslip).json()["code"] == "not_found"
    assert finance_api.get(payslip).status_code == 200


def test_the_disclosure_report_as_json(ledger, owner_api):
    response = owner_api.get(f"{base(ledger.books)}/disclosure", {"year": Y})
    assert response.status_code == 200
    data = response.json()
    assert (data["income_total"], data["expense_total"], data["surplus"]) == ("5700.00", "1700.00", "4000.00")
    assert data["public_revenue"]["balance_end"] == "4400.00" and data["fund"]["end"]["balance"] == "4624.50"
    assert {h["house"]: h["balance"] for h in data["fund"]["houses"]}["2-1-102"] == "1676.25"
    assert [p["title"] for p in data["fund"]["projects"]] == ["屋面防水", "1号楼电梯抢修"]
    assert data["arrears"] == {"has_billing_data": True, "receivable": "300.00", "prepaid": "120.00"}
    assert data["checkpoint"]["closed"] is False and len(data["by_month"]) == 12
    assert_no_secret(response)
    close_through(ledger.books, day(2, 1))
    feb = owner_api.get(f"{base(ledger.books)}/disclosure", {"year": Y, "month": 2}).json()
    assert feb["checkpoint"]["closed"] is True and len(feb["checkpoint"]["signature"]) == 128
    assert feb["by_month"] is None and feb["period"]["label"]


def test_the_disclosure_pdf(ledger, owner_api):
    response = owner_api.get(f"{base(ledger.books)}/disclosure.pdf", {"year": Y, "month": 3})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert owner_api.get(f"{base(ledger.books)}/disclosure.pdf", {"year": Y + 5}).status_code == 400


@pytest.mark.parametrize("who", ["family", "tenant", "technician"])
def test_members_who_are_not_owners_get_403(ledger, api, who):
    client = api(getattr(ledger.books, who).user, [ledger.books.estate])
    for path in ("/summary", "/entries", f"/entries/{ledger.fee_payment.pk}", f"/documents/{ledger.invoice.pk}",
                 "/disclosure", "/disclosure.pdf"):
        response = client.get(base(ledger.books) + path)
        assert response.status_code == 403 and response.json()["code"] == "forbidden", path


def test_another_estate_s_entry_is_404(ledger, api, other_estate, actor_for):
    from gongzhi.ledger import services

    theirs = services.entry_post(estate=other_estate, actor=actor_for("finance", other_estate), date=day(5, 5),
                                 kind=EntryKind.PUBLIC_REVENUE, description="x",
                                 lines=[services.Line("1002", debit="7"), services.Line("4101", credit="7")])
    client = api(ledger.books.finance.user, [ledger.books.estate])
    assert client.get(f"{base(ledger.books)}/entries/{theirs.pk}").status_code == 404


def _queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_the_entry_list_and_the_reports_cost_a_constant_number_of_queries(ledger, owner_api):
    books = ledger.books
    calls = [(f"{base(books)}/entries", {"account": "5005"}), (f"{base(books)}/entries", {}),
             (f"{base(books)}/summary", None), (f"{base(books)}/disclosure", {"year": Y})]
    book(books, day(11, 1), EntryKind.EXPENSE, "维修", ("5005", "10", 0), ("1002", 0, "10"))
    owner_api.get(calls[0][0])
    few = [_queries(owner_api, p, q) for p, q in calls]
    for i in range(30):
        book(books, day(11, 1 + i % 28), EntryKind.EXPENSE, f"维修 {i}", ("5005", "10", 0), ("1002", 0, "10"))
    many = [_queries(owner_api, p, q) for p, q in calls]
    assert few == many
    # the token and the membership (2), then: entries, their lines, their documents, the drill total (4)
    assert many[0] <= 6 and max(many) <= 10
