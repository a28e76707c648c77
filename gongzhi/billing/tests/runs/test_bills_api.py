"""Bill runs and bills over the API as clients use them: finance previews, issues and adjusts; a resident reads only
their houses' bills; other estates see nothing; lists keep a constant query count."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.billing.models import Bill
from gongzhi.billing.tests.conftest import make_bill, property_fee_item

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def client_of(fees, api):
    def make(who):
        return api(getattr(fees, who).user, [fees.estate])

    return make


def base(fees) -> str:
    return f"/api/v1/estates/{fees.estate.pk}/billing"


def month() -> str:
    return timezone.localdate().replace(day=1).isoformat()


def test_finance_previews_then_issues_then_lists_the_run(fees, client_of):
    property_fee_item(fees.estate)
    finance = client_of("finance")
    preview = finance.post(f"{base(fees)}/runs/preview", {"period_kind": "month", "period_start": month()},
                           content_type=JSON)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["bills_count"], body["total"], body["houses"]) == (4, "936.10", 4)
    assert body["bills"][0]["lines"][0]["explanation"].startswith("89.50 m²")
    assert not Bill.objects.exists()
    issued = finance.post(f"{base(fees)}/runs", {"period_kind": "month", "period_start": month()}, content_type=JSON)
    assert issued.status_code == 201, issued.content
    run = issued.json()
    assert (run["bills_count"], run["total"]) == (4, "936.10")
    again = finance.post(f"{base(fees)}/runs", {"period_kind": "month", "period_start": month()}, content_type=JSON)
    assert again.json()["id"] == run["id"] and Bill.objects.count() == 4
    assert finance.get(f"{base(fees)}/runs/{run['id']}").json()["key"] == run["key"]
    assert [r["id"] for r in finance.get(f"{base(fees)}/runs").json()["items"]] == [run["id"]]


def test_a_bad_period_is_the_one_error_shape(fees, client_of):
    response = client_of("finance").post(f"{base(fees)}/runs", {"period_kind": "month", "period_start": "2026-01-15"},
                                         content_type=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_field" and response.json()["detail"]["field"] == "period_start"


def test_customer_service_may_read_bills_but_not_run_them(fees, client_of):
    property_fee_item(fees.estate)
    service = client_of("service")
    assert service.post(f"{base(fees)}/runs", {"period_start": month()}, content_type=JSON).status_code == 403
    assert service.get(f"{base(fees)}/runs").json()["items"] == []
    make_bill(fees.houses[0])
    assert len(service.get(f"{base(fees)}/bills").json()["items"]) == 1


def test_a_resident_sees_only_their_houses_bills(fees, client_of):
    mine = make_bill(fees.houses[2], ["165.55"])
    theirs = make_bill(fees.houses[0], ["196.90"])
    owner2 = client_of("owner2")
    assert [b["id"] for b in owner2.get(f"{base(fees)}/bills").json()["items"]] == [mine.pk]
    detail = owner2.get(f"{base(fees)}/bills/{mine.pk}").json()
    assert detail["lines"][0]["amount"] == "165.55" and detail["outstanding"] == "165.55"
    assert owner2.get(f"{base(fees)}/bills/{theirs.pk}").status_code == 404
    assert owner2.post(f"{base(fees)}/bills/{mine.pk}/adjustments",
                       {"amount": "-1", "reason": "x", "key": "k"}, content_type=JSON).status_code == 403


def test_another_estates_bill_is_not_found(fees, other_estate, api, member):
    bill = make_bill(fees.houses[0])
    stranger = api(member("finance", other_estate), [other_estate])
    assert stranger.get(f"/api/v1/estates/{other_estate.pk}/billing/bills/{bill.pk}").status_code == 404
    assert stranger.get(f"{base(fees)}/bills/{bill.pk}").status_code == 404


def test_finance_adjusts_a_bill_once_per_key(fees, client_of):
    bill = make_bill(fees.houses[0], ["100.00"])
    finance = client_of("finance")
    payload = {"amount": "-20.00", "reason": "电梯停运补偿", "key": "adj-1"}
    first = finance.post(f"{base(fees)}/bills/{bill.pk}/adjustments", payload, content_type=JSON)
    assert first.status_code == 201, first.content
    assert first.json()["outstanding"] == "80.00" and first.json()["adjustments"][0]["reason"] == "电梯停运补偿"
    again = finance.post(f"{base(fees)}/bills/{bill.pk}/adjustments", payload, content_type=JSON)
    assert again.json()["outstanding"] == "80.00"
    too_much = finance.post(f"{base(fees)}/bills/{bill.pk}/adjustments",
                            {"amount": "-90", "reason": "x", "key": "adj-2"}, content_type=JSON)
    assert too_much.status_code == 409 and too_much.json()["code"] == "adjustment_below_paid"


def test_the_bill_list_filters_and_pages(fees, client_of):
    for i in range(3):
        make_bill(fees.houses[0], period_start=datetime.date(2026, i + 1, 1))
    make_bill(fees.houses[2], period_start=datetime.date(2026, 1, 1))
    finance = client_of("finance")
    page = finance.get(f"{base(fees)}/bills", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = finance.get(f"{base(fees)}/bills", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert len(finance.get(f"{base(fees)}/bills", {"house_id": fees.houses[0].pk}).json()["items"]) == 3
    assert len(finance.get(f"{base(fees)}/bills", {"period": "2026-01-20"}).json()["items"]) == 2
    assert len(finance.get(f"{base(fees)}/bills", {"building_id": fees.houses[2].building_id}).json()["items"]) == 1


@pytest.mark.parametrize("count", [3, 12])
def test_lists_keep_a_constant_query_count(fees, client_of, django_assert_max_num_queries, count):
    property_fee_item(fees.estate)
    for i in range(count):
        make_bill(fees.houses[i % 4], period_start=datetime.date(2025, i % 12 + 1, 1))
    finance = client_of("finance")
    finance.post(f"{base(fees)}/runs", {"period_start": month()}, content_type=JSON)
    with django_assert_max_num_queries(10):
        assert finance.get(f"{base(fees)}/bills").status_code == 200
    with django_assert_max_num_queries(10):
        assert finance.get(f"{base(fees)}/runs").status_code == 200
    with django_assert_max_num_queries(10):
        assert client_of("owner").get(f"{base(fees)}/bills").status_code == 200
