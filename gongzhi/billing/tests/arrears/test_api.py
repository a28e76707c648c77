"""The arrears API: lists within a query budget, reminders, statements, the collection rate, downloads, late fees;
the committee reads the collection rate but not arrears by house; a resident their own statement only; another
estate 404."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.tests.conftest import make_bill

from .helpers import d, set_rules

pytestmark = pytest.mark.django_db


def base(fees) -> str:
    return f"/api/v1/estates/{fees.estate.pk}/billing"


@pytest.fixture
def owing(fees):
    today = datetime.date.today()
    for i, house in enumerate(fees.houses):
        make_bill(house, ["100.00"], due_date=today - datetime.timedelta(days=10 + 40 * i))
    return fees


def test_arrears_by_house_and_building_in_a_query_budget(owing, api, django_assert_max_num_queries):
    client = api(owing.finance.user, [owing.estate])
    with django_assert_max_num_queries(8):
        body = client.get(f"{base(owing)}/arrears?limit=3").json()
    assert [r["id"] for r in body["items"]] == [h.pk for h in owing.houses[:3]] and body["next_cursor"]
    assert body["totals"]["overdue"] == "400.00"
    assert body["items"][1]["buckets"]["d31_90"] == "100.00"
    more = client.get(f"{base(owing)}/arrears?limit=3&cursor={body['next_cursor']}").json()
    assert [r["id"] for r in more["items"]] == [owing.houses[3].pk]
    with django_assert_max_num_queries(8):
        buildings = client.get(f"{base(owing)}/arrears?group=building").json()
    assert [(b["label"], b["houses_overdue"]) for b in buildings["items"]] == [("1", 2), ("2", 2)]


def test_the_committee_reads_the_rate_not_the_houses(owing, api):
    client = api(owing.chair.user, [owing.estate])
    assert client.get(f"{base(owing)}/arrears").status_code == 403
    response = client.get(f"{base(owing)}/collection?group=building&period=year")
    assert response.status_code == 200
    assert response.json()["total"]["billed"] == "400.00"
    assert all("house" not in row["label"] for row in response.json()["rows"])


def test_reminders_and_late_fees_over_the_api(owing, api):
    client = api(owing.finance.user, [owing.estate])
    first = client.post(f"{base(owing)}/arrears/remind", content_type="application/json").json()
    assert first["sent"] == 4
    assert client.post(f"{base(owing)}/arrears/remind", content_type="application/json").json()["sent"] == 0
    set_rules(owing.estate, late_fee_daily_rate="1/2000")
    charged = client.post(f"{base(owing)}/late-fees/charge", {"on": str(datetime.date.today())},
                          content_type="application/json").json()
    assert charged["bills"] == 4 and Decimal(charged["amount"]) > 0
    again = client.post(f"{base(owing)}/late-fees/charge", {"on": str(datetime.date.today())},
                        content_type="application/json").json()
    assert again["bills"] == 0
    refused = api(owing.chair.user, [owing.estate]).post(f"{base(owing)}/late-fees/charge", {},
                                                          content_type="application/json")
    assert refused.status_code == 403


def test_statements_are_the_residents_own(owing, api):
    house = owing.houses[0]
    mine = api(owing.owner.user, [owing.estate]).get(f"{base(owing)}/houses/{house.pk}/statement")
    assert mine.status_code == 200 and mine.json()["closing_balance"] == "100.00"
    assert mine.json()["rows"][0]["kind"] == "bill"
    assert api(owing.owner2.user, [owing.estate]).get(
        f"{base(owing)}/houses/{house.pk}/statement").json()["code"] == "not_found"


def test_another_estate_is_not_found(owing, api, other_estate, actor_for):
    outsider = actor_for("manager", other_estate)
    client = api(outsider.user, [other_estate])
    assert client.get(f"{base(owing)}/arrears").status_code == 404
    assert client.get(f"/api/v1/estates/{other_estate.pk}/billing/houses/{owing.houses[0].pk}/statement"
                      ).status_code == 404


def test_the_workbook_downloads(owing, api):
    response = api(owing.finance.user, [owing.estate]).get(f"{base(owing)}/exports.xlsx?kind=arrears")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    bad = api(owing.finance.user, [owing.estate]).get(f"{base(owing)}/exports.xlsx?kind=secrets")
    assert bad.status_code == 422


def test_a_statement_date_range(owing, api):
    response = api(owing.finance.user, [owing.estate]).get(
        f"{base(owing)}/houses/{owing.houses[0].pk}/statement?date_from={d('2000-01-01')}&date_to=2000-01-31")
    assert response.json()["rows"] == [] and response.json()["closing_balance"] == "0.00"
