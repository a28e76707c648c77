"""Verification over the API: run it (rate-limited), the checkpoints, closing a month, the export, the public key."""

import json

import pytest
from django.utils import timezone

from gongzhi.ledger import signing
from gongzhi.ledger.models import Checkpoint
from gongzhi.ledger.tests.test_verify import months_ago, post, tampering, tricky_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def base(books) -> str:
    return f"/api/v1/estates/{books.estate.pk}/ledger"


def client(api, books, actor):
    return api(actor.user, [books.estate])


def test_verify_answers_the_result_and_is_rate_limited_per_user(api, books):
    entries = tricky_ledger(books)
    owner = client(api, books, books.owner)
    response = owner.post(f"{base(books)}/verify")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and (body["entries"], body["lines"], body["checkpoints"]) == (8, 18, 2)
    assert body["head_seq"] == 8 and body["head_hash"] == entries[-1].hash and body["first"] is None
    again = owner.post(f"{base(books)}/verify")
    assert again.status_code == 429 and again.json()["code"] == "throttled"
    assert "10" in again.json()["messages"]["zh-hans"]


def test_verify_names_the_first_failure(api, books):
    entries = tricky_ledger(books)
    with tampering("ledger_journalline") as cursor:
        cursor.execute("UPDATE ledger_journalline SET credit = 0.11 WHERE entry_id = %s AND line_no = 2",
                       [entries[0].pk])
    body = client(api, books, books.chair).post(f"{base(books)}/verify").json()
    assert body["ok"] is False and body["failure_count"] == 2
    assert body["first"] == {"code": "hash_mismatch", "seq": 1, "entry_id": entries[0].pk, "period": "",
                             "message": body["first"]["message"]}
    assert [f["code"] for f in body["failures"]] == ["hash_mismatch", "unbalanced"]


def test_the_checkpoints_with_their_signatures_checked(api, books, django_assert_max_num_queries):
    tricky_ledger(books)
    owner = client(api, books, books.owner)
    with django_assert_max_num_queries(8) as few:
        items = owner.get(f"{base(books)}/checkpoints").json()["items"]
    assert [i["period"] for i in items] == [f"{months_ago(1):%Y-%m}", f"{months_ago(2):%Y-%m}"]
    assert all(i["signature_valid"] for i in items) and items[0]["head_seq"] == 7
    for n in (6, 5, 4):
        month = months_ago(n)
        Checkpoint.objects.create(estate=books.estate, period_start=month, period_end=month.replace(day=28),
                                  head_seq=0, head_hash="0" * 64, signed_at=timezone.now(), public_key="aa",
                                  signature="bb")
    with django_assert_max_num_queries(len(few.captured_queries)):
        items = owner.get(f"{base(books)}/checkpoints").json()["items"]
    assert [i["signature_valid"] for i in items] == [True, True, False, False, False]


def test_finance_closes_a_month_and_closing_it_again_returns_the_same_checkpoint(api, books):
    month = months_ago(1)
    post(books, month, "x", ("1002", "5", 0), ("4101", 0, "5"))
    finance = client(api, books, books.finance)
    response = finance.post(f"{base(books)}/periods/close", {"year": month.year, "month": month.month},
                            content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == f"{month:%Y-%m}" and body["head_seq"] == 1 and body["signature_valid"]
    assert body["public_key"] == signing.public_key_hex()
    again = finance.post(f"{base(books)}/periods/close", {"year": month.year, "month": month.month},
                         content_type="application/json")
    assert again.json()["id"] == body["id"] and Checkpoint.objects.count() == 1


def test_closing_is_refused_to_owners_out_of_order_and_before_the_month_ends(api, books):
    post(books, months_ago(2), "x", ("1002", "5", 0), ("4101", 0, "5"))
    later, today = months_ago(1), timezone.localdate()
    owner = client(api, books, books.owner)
    older = months_ago(2)
    refused = owner.post(f"{base(books)}/periods/close", {"year": older.year, "month": older.month},
                         content_type="application/json")
    assert refused.status_code == 403
    finance = client(api, books, books.finance)
    out_of_order = finance.post(f"{base(books)}/periods/close", {"year": later.year, "month": later.month},
                                content_type="application/json")
    assert out_of_order.status_code == 409 and out_of_order.json()["code"] == "period_out_of_order"
    not_ended = finance.post(f"{base(books)}/periods/close", {"year": today.year, "month": today.month},
                             content_type="application/json")
    assert not_ended.status_code == 409
    assert not Checkpoint.objects.exists()


def test_the_export_of_a_closed_month(api, books):
    tricky_ledger(books)
    old = months_ago(1)
    response = client(api, books, books.owner).get(f"{base(books)}/export/{old.year}/{old.month}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'ledger-{books.estate.pk}-{old:%Y-%m}.json"')
    data = json.loads(response.content)
    assert data["checkpoint"]["head_seq"] == 7 and [e["seq"] for e in data["entries"]] == [6, 7]


def test_an_open_month_or_no_month_is_not_found(api, books):
    tricky_ledger(books)
    today = timezone.localdate()
    owner = client(api, books, books.owner)
    for year, month in ((today.year, today.month), (today.year, 13), (1, 1)):
        response = owner.get(f"{base(books)}/export/{year}/{month}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_public_key_and_its_fingerprint(api, books, settings):
    settings.LEDGER_TRUSTED_KEYS = ["AB" * 32]
    body = client(api, books, books.owner).get(f"{base(books)}/public-key").json()
    key = signing.public_key_hex()
    assert body == {"public_key": key, "fingerprint": f"{key[:4]} {key[4:8]} {key[8:12]} {key[12:16]}",
                    "trusted_keys": ["ab" * 32]}


@pytest.mark.parametrize("who", ["tenant", "family", "technician"])
def test_people_who_may_not_read_the_ledger_get_403(api, books, who):
    actor = getattr(books, who)
    c = client(api, books, actor)
    assert c.get(f"{base(books)}/public-key").status_code == 403
    assert c.get(f"{base(books)}/checkpoints").status_code == 403
    assert c.post(f"{base(books)}/verify").status_code == 403


def test_another_estate_is_not_found(api, books, other_estate, actor_for):
    tricky_ledger(books)
    theirs = actor_for("owner", other_estate)
    c = api(theirs.user, [other_estate])
    assert c.post(f"{base(books)}/verify").status_code == 404
    old = months_ago(1)
    response = c.get(f"/api/v1/estates/{other_estate.pk}/ledger/export/{old.year}/{old.month}")
    assert response.status_code == 404
