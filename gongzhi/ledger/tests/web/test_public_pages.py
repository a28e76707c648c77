"""The owners' public ledger pages: an owner reads the year at a glance, drills from a category total to the entries
and into one entry and its invoice, reads the disclosure report and downloads its PDF; staff-only fields stay with
finance, the manager and the committee; members who are not owners get 403; the lists keep a constant query count.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gongzhi.ledger import services
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.tests.test_disclosure import Y, book, build_ledger, close_through, day, document

pytestmark = pytest.mark.django_db
SECRETS = ("张三", "现金，收据 A-77", "payslip.pdf", "李主任", "13800000000")

@pytest.fixture
def ledger(books, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_ledger(books)



def client_for(actor) -> Client:
    """Pages in English, so the assertions do not depend on the catalogue."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, books, *args, **query) -> str:
    path = reverse(f"ledger:{name}", args=[books.estate.pk, *args])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def text(response) -> str:
    return response.content.decode()


def assert_no_secret(body: str) -> None:
    for secret in SECRETS:
        assert secret not in body, secret


# --- the owner's story ------------------------------------------------------------------------------------------------
def test_an_owner_reads_this_year_at_a_glance(ledger):
    books = ledger.books
    # this year: one advertising income and one cleaning bill
    book(books, timezone.localdate() - datetime.timedelta(days=1), EntryKind.PUBLIC_REVENUE, "电梯广告",
         ("1002", "2400", 0), ("4101", 0, "2400"))
    response = client_for(books.owner).get(url("public", books))
    body = text(response)
    assert response.status_code == 200
    assert 'class="portal"' in body  # the owner's mobile layout
    assert "<svg" in body and "2,400.00" in body
    drill = url("entries", books, account="4101", **{"from": f"{timezone.localdate().year}-01-01",
                                                      "to": f"{timezone.localdate().year}-12-31"})
    assert drill.replace("&", "&amp;") in body
    from gongzhi.ledger import signing

    assert signing.public_key_hex() in body
    assert url("disclosure", books) + f"?year={Y}" in body
    assert_no_secret(body)


def test_the_drill_down_lists_the_entries_behind_a_total_and_they_add_up(ledger):
    books = ledger.books
    response = client_for(books.owner).get(url("entries", books, group="expense", **{"from": f"{Y}-01-01",
                                                                                     "to": f"{Y}-12-31"}))
    body = text(response)
    assert response.status_code == 200
    for description in ("保洁外包", "秩序维护", "绿化养护（误录）", "Reversal of"):
        assert description in body
    assert 'data-total>1,400.00<' in body  # 800 + 600 + 999 − 999, the category total of the report
    assert "-999.00" in body  # the reversal, on the expense side, counts negative
    fees = text(client_for(books.owner).get(url("entries", books, account="4001")))
    assert "(a resident)" in fees and "1月物业费" in fees
    assert_no_secret(fees)


def test_bad_drill_down_input_is_a_400(ledger):
    client = client_for(ledger.books.owner)
    for query in ({"account": "4101;drop"}, {"group": "nope"}, {"from": "2025-13-01"},
                  {"from": f"{Y}-05-01", "to": f"{Y}-04-01"}):
        assert client.get(url("entries", ledger.books, **query)).status_code == 400, query


def test_an_owner_opens_an_entry_and_downloads_its_public_invoice_only(ledger):
    books, entry = ledger.books, ledger.fee_payment
    client = client_for(books.owner)
    body = text(client.get(url("entry", books, entry.pk)))
    assert entry.hash in body and entry.prev_hash in body
    assert url("document", books, ledger.invoice.pk) in body
    assert url("document", books, ledger.payslip.pk) not in body
    assert_no_secret(body)
    download = client.get(url("document", books, ledger.invoice.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(url("document", books, ledger.payslip.pk)).status_code == 404


def test_documents_an_owner_cannot_reach(ledger, other_estate):
    books = ledger.books
    client = client_for(books.owner)
    loose = document(books, "draft-contract.pdf")  # attached to nothing the public ledger shows
    assert client.get(url("document", books, loose.pk)).status_code == 404
    assert client_for(books.finance).get(url("document", books, loose.pk)).status_code == 200
    # the minutes of the roof project's approval are public
    assert client.get(url("document", books, ledger.minutes.pk)).status_code == 200
    assert client.get(url("document", books, 999999)).status_code == 404


def test_an_entry_shows_its_approval_and_the_reversal_links_both_ways(ledger):
    books = ledger.books
    client = client_for(books.owner)
    mistake = text(client.get(url("entry", books, ledger.mistake.pk)))
    assert url("entry", books, ledger.reversal.pk) in mistake and "Reversed" in mistake
    reversal = text(client.get(url("entry", books, ledger.reversal.pk)))
    assert url("entry", books, ledger.mistake.pk) in reversal
    roof_payment = ledger.roof.payments.get().entry
    body = text(client.get(url("entry", books, roof_payment.pk)))
    assert "Approved" in body and "2025-业主大会-3" in body
    assert "for 3, against 0, abstaining 0, of 3" in body and "for 425.50, against 0.00" in body
    assert url("document", books, ledger.minutes.pk) in body
    assert_no_secret(body)  # the decider's name and phone are not shown to owners


def test_finance_sees_the_staff_only_fields_on_the_console(ledger):
    books = ledger.books
    client = client_for(books.finance)
    body = text(client.get(url("entry", books, ledger.fee_payment.pk)))
    assert 'class="console"' in body
    for private in ("张三", "现金，收据 A-77", "payslip.pdf", url("document", books, ledger.payslip.pk)):
        assert private in body
    assert client.get(url("document", books, ledger.payslip.pk)).status_code == 200
    roof = text(client.get(url("entry", books, ledger.roof.payments.get().entry.pk)))
    assert "李主任" in roof


def test_the_committee_also_reads_staff_only_fields(ledger):
    body = text(client_for(ledger.books.chair).get(url("entry", ledger.books, ledger.fee_payment.pk)))
    assert "张三" in body and "现金，收据 A-77" in body


# --- the disclosure report ------------------------------------------------------------------------------------------
def test_the_annual_report_page_with_charts_per_house_statement_and_open_period_flag(ledger):
    books = ledger.books
    response = client_for(books.owner).get(url("disclosure", books, year=Y))
    body = text(response)
    assert response.status_code == 200 and body.count("<svg") >= 3  # income, expense, months
    for figure in ("5,700.00", "4,400.00", "4,624.50", "1,676.25", "2-1-102", "屋面防水", "Elevator fault"):
        assert figure in body, figure
    assert 'data-flag="not-closed"' in body
    assert url("disclosure_pdf", books) + f"?year={Y}" in body
    assert_no_secret(body)


def test_a_closed_month_shows_its_checkpoint(ledger):
    books = ledger.books
    close_through(books, day(2, 1))
    body = text(client_for(books.owner).get(url("disclosure", books, year=Y, month=2)))
    from gongzhi.ledger.models import Checkpoint

    cp = Checkpoint.objects.get(estate=books.estate, period_start=day(2, 1))
    assert cp.head_hash in body and cp.signature in body and 'data-flag="not-closed"' not in body


def test_the_pdf_download(ledger):
    books = ledger.books
    response = client_for(books.owner).get(url("disclosure_pdf", books, year=Y, month=2))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="disclosure-{books.estate.pk}-{Y}-02.pdf"'
    assert response.content.startswith(b"%PDF")
    this_year = client_for(books.owner).get(url("disclosure_pdf", books))
    assert this_year.status_code == 200  # this year by default


def test_a_period_that_has_not_started_is_a_400(ledger):
    client = client_for(ledger.books.owner)
    assert client.get(url("disclosure", ledger.books, year=Y + 5)).status_code == 400
    assert client.get(url("disclosure_pdf", ledger.books, year=Y, month=13)).status_code == 400


# --- who may read ---------------------------------------------------------------------------------------------------
def _all_pages(ledger) -> list[str]:
    books = ledger.books
    return [url("public", books), url("entries", books), url("entry", books, ledger.fee_payment.pk),
            url("document", books, ledger.invoice.pk), url("disclosure", books), url("disclosure_pdf", books)]


@pytest.mark.parametrize("who", ["family", "tenant", "technician"])
def test_members_who_are_not_owners_get_403_everywhere(ledger, who):
    client = client_for(getattr(ledger.books, who))
    for page in _all_pages(ledger):
        assert client.get(page).status_code == 403, page


def test_the_residents_committee_liaison_reads_only_when_the_estate_turns_it_on(ledger):
    books = ledger.books
    client = client_for(books.liaison)
    assert client.get(url("public", books)).status_code == 403
    books.estate.rule_overrides = {"ledger.public_to_rc_liaison": True}
    books.estate.save()
    from gongzhi.core.access import forget_access

    forget_access(books.liaison.user.pk, books.estate.pk)
    assert all(client.get(page).status_code == 200 for page in _all_pages(ledger))
    assert_no_secret(text(client.get(url("entry", books, ledger.fee_payment.pk))))


def test_another_estate_s_entry_and_document_are_404(ledger, other_estate, actor_for):
    theirs = actor_for("finance", other_estate)
    entry = services.entry_post(estate=other_estate, actor=theirs, date=day(5, 5), kind=EntryKind.PUBLIC_REVENUE,
                                description="x", lines=[services.Line("1002", debit="7"),
                                                        services.Line("4101", credit="7")])
    client = client_for(ledger.books.finance)
    assert client.get(url("entry", ledger.books, entry.pk)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(ledger):
    response = Client().get(url("public", ledger.books))
    assert response.status_code == 302 and "login" in response["Location"]


# --- paging and query budgets ---------------------------------------------------------------------------------------
def _expenses(books, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        book(books, day(11, 1 + i % 28), EntryKind.EXPENSE, f"维修 {i}", ("5005", "10", 0), ("1002", 0, "10"))


def test_the_drill_down_pages_by_cursor(ledger):
    books = ledger.books
    _expenses(books, 35)
    client = client_for(books.owner)
    first = text(client.get(url("entries", books, account="5005")))
    assert first.count("维修 ") == 30 and 'rel="next"' in first and "data-total>350.00<" in first
    next_url = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text(client.get(next_url))
    assert second.count("维修 ") == 5 and 'rel="next"' not in second


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(page).status_code == 200
    return len(ctx.captured_queries)


def test_the_lists_and_the_reports_cost_a_constant_number_of_queries(ledger, django_assert_max_num_queries):
    books = ledger.books
    client = client_for(books.owner)
    pages = [url("entries", books, account="5005"), url("public", books), url("disclosure", books, year=Y)]
    _expenses(books, 3)
    client.get(pages[0])  # the membership is cached from here on
    few = [_count(client, p) for p in pages]
    _expenses(books, 27, start=3)
    many = [_count(client, p) for p in pages]
    assert few == many
    for page in pages:
        with django_assert_max_num_queries(16):
            client.get(page)
