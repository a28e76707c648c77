"""The verification page: owners and staff read it in their own layout; the button verifies (rate-limited); finance
closes the next month; closed months download for the offline tool; the list costs a constant number of queries."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongzhi.ledger import signing
from gongzhi.ledger.models import Checkpoint
from gongzhi.ledger.tests.test_verify import months_ago, post, tampering, tricky_ledger

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, books, *args):
    return reverse(f"ledger:{name}", args=[books.estate.pk, *args])


def test_an_owner_reads_the_key_the_checkpoints_and_the_procedure_in_the_portal(books):
    tricky_ledger(books)
    response = client_for(books.owner).get(url("verify", books))
    assert response.status_code == 200
    page = response.content.decode()
    assert any(t.name == "estate/portal_base.html" for t in response.templates)
    key = signing.public_key_hex()
    assert key in page and " ".join(key[i:i + 4] for i in range(0, 16, 4)) in page
    for month in (months_ago(1), months_ago(2)):
        assert f'data-period="{month:%Y-%m}"' in page
        assert url("export", books, month.year, month.month) in page
    assert page.count('class="badge vf-valid"') == 2
    assert url("verify_tool", books) in page and "--public-key " + key in page
    assert url("close", books) not in page  # owners do not close months


def test_staff_read_it_in_the_console(books):
    tricky_ledger(books)
    response = client_for(books.finance).get(url("verify", books))
    assert any(t.name == "estate/console_base.html" for t in response.templates)


@pytest.mark.parametrize("who", ["family", "tenant", "technician"])
def test_people_who_may_not_read_the_ledger_are_refused(books, who):
    response = client_for(getattr(books, who)).get(url("verify", books))
    assert response.status_code == 403
    assert client_for(getattr(books, who)).post(url("verify_run", books)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(books):
    assert Client().get(url("verify", books)).status_code == 302


def test_the_button_verifies_and_shows_the_result_in_place(books):
    tricky_ledger(books)
    client = client_for(books.owner)
    response = client.post(url("verify_run", books), **HTMX)
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["ledger/verify/_result.html"]
    assert 'data-result="ok"' in response.content.decode()
    assert "8 entries (18 lines) through #8" in response.content.decode()


def test_verifying_again_within_ten_seconds_is_refused(books):
    tricky_ledger(books)
    client = client_for(books.owner)
    assert client.post(url("verify_run", books), **HTMX).status_code == 200
    again = client.post(url("verify_run", books), **HTMX)
    assert again.status_code == 200 and 'data-result="throttled"' in again.content.decode()
    plain = client.post(url("verify_run", books))
    assert plain.status_code == 429 and "try again in 10 seconds" in plain.content.decode()
    assert client_for(books.chair).post(url("verify_run", books), **HTMX).status_code == 200  # per user


def test_without_javascript_the_button_answers_the_whole_page(books):
    tricky_ledger(books)
    response = client_for(books.owner).post(url("verify_run", books))
    assert response.status_code == 200 and 'data-result="ok"' in response.content.decode()
    assert "ledger/verify/page.html" in [t.name for t in response.templates]


def test_a_tampered_row_is_named_on_the_page(books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalentry") as cursor:
        cursor.execute("UPDATE ledger_journalentry SET description = 'edited' WHERE id = %s", [entries[2].pk])
    page = client_for(books.owner).post(url("verify_run", books), **HTMX).content.decode()
    assert 'data-result="failed"' in page and 'data-first="hash_mismatch"' in page
    assert f"Entry #3 (id {entries[2].pk})" in page


def test_finance_closes_the_next_month_with_the_button(books):
    month = months_ago(1)
    post(books, month, "本月之前", ("1002", "5", 0), ("4101", 0, "5"))
    client = client_for(books.finance)
    page = client.get(url("verify", books)).content.decode()
    assert f'data-close="{month:%Y-%m}"' in page
    response = client.post(url("close", books), {"year": month.year, "month": month.month})
    assert response.status_code == 302 and response["Location"] == url("verify", books)
    checkpoint = Checkpoint.objects.get(estate=books.estate)
    assert checkpoint.period_start == month and checkpoint.head_seq == 1
    page = client.get(url("verify", books)).content.decode()
    assert "is closed: its checkpoint is signed (last entry #1)" in page
    assert "No month can be closed now" in page


def test_closing_out_of_order_or_as_an_owner_is_refused(books):
    post(books, months_ago(2), "x", ("1002", "5", 0), ("4101", 0, "5"))
    later = months_ago(1)
    response = client_for(books.finance).post(url("close", books), {"year": later.year, "month": later.month})
    assert response.status_code == 409
    older = months_ago(2)
    response = client_for(books.owner).post(url("close", books), {"year": older.year, "month": older.month})
    assert response.status_code == 403
    assert not Checkpoint.objects.exists()


def test_opening_the_close_address_asks_for_confirmation_and_closes_nothing(books):
    month = months_ago(1)
    post(books, month, "x", ("1002", "5", 0), ("4101", 0, "5"))
    page = client_for(books.manager).get(url("close", books)).content.decode()
    assert f'data-close="{month:%Y-%m}"' in page and not Checkpoint.objects.exists()
    assert client_for(books.owner).get(url("close", books)).status_code == 403
    assert client_for(books.owner).get(url("verify_run", books)).status_code == 200  # the page, not a run


def test_a_closed_month_downloads_for_the_offline_tool(books):
    tricky_ledger(books)
    older = months_ago(2)
    response = client_for(books.owner).get(url("export", books, older.year, older.month))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="ledger-{books.estate.pk}-{older:%Y-%m}.json"'
    data = json.loads(response.content)
    assert [e["seq"] for e in data["entries"]] == [1, 2, 3, 4, 5]
    assert "张三" not in response.content.decode()


def test_an_open_month_does_not_download(books):
    tricky_ledger(books)
    today = timezone.localdate()
    assert client_for(books.owner).get(url("export", books, today.year, today.month)).status_code == 404
    assert client_for(books.owner).get(url("export", books, today.year, 13)).status_code == 404


def test_the_tool_itself_downloads(books):
    response = client_for(books.owner).get(url("verify_tool", books))
    assert response.status_code == 200
    assert b"def body(" in response.content and b"pip install cryptography" in response.content


def test_the_page_costs_the_same_queries_for_two_or_many_checkpoints(books, django_assert_max_num_queries):
    tricky_ledger(books)
    client = client_for(books.finance)
    client.get(url("verify", books))  # warm the session and the chart
    with django_assert_max_num_queries(20) as few:
        assert client.get(url("verify", books)).status_code == 200
    for n in (5, 4, 3):
        month = months_ago(n)
        Checkpoint.objects.create(estate=books.estate, period_start=month, period_end=month.replace(day=28),
                                  head_seq=0, head_hash="0" * 64, signed_at=timezone.now(), public_key="aa",
                                  signature="bb")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("verify", books)).content.decode()
    assert page.count('class="badge vf-invalid"') == 3
