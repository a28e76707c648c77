"""Stories of the fee-rules API: who may read and change, the error shape, the query budgets of the lists."""

import datetime

import pytest

from gongzhi.billing.meters import meter_install, reading_record
from gongzhi.billing.rules import fee_item_create

from .helpers import workbook

pytestmark = pytest.mark.django_db
D = datetime.date


def base(fees) -> str:
    return f"/api/v1/estates/{fees.estate.pk}/billing"


@pytest.fixture
def property_item(fees):
    return fee_item_create(actor=fees.finance, code="property", name="物业费", kind="area", rate="2.20",
                           effective_from=D(2026, 1, 1))


def test_finance_creates_an_item_and_a_new_rate_ends_the_old_one(fees, api):
    client = api(fees.finance.user, [fees.estate])
    created = client.post(f"{base(fees)}/fee-items", {"code": "water", "name": "水费", "kind": "metered",
                                                      "meter_kind": "water", "rate": "3.5",
                                                      "effective_from": "2026-01-01",
                                                      "tiers": [{"up_to": "10", "price": "3.5"},
                                                                {"up_to": None, "price": "4.2"}]},
                          content_type="application/json")
    assert created.status_code == 201, created.json()
    item = created.json()
    assert (item["ledger_code"], item["meter_kind"]) == ("4003", "water")
    url = f"{base(fees)}/fee-items/{item['id']}/rules"
    response = client.post(url, {"rate": "3.8", "effective_from": "2026-07-01"}, content_type="application/json")
    assert response.status_code == 201
    listed = client.get(url).json()
    assert [(r["rate"], r["effective_to"]) for r in listed] == [("3.8000", None), ("3.5000", "2026-06-30")]


def test_an_overlapping_rule_is_409_and_a_bad_rate_is_400_with_the_field(fees, api, property_item):
    client = api(fees.finance.user, [fees.estate])
    url = f"{base(fees)}/fee-items/{property_item.pk}/rules"
    bounded = client.post(url, {"rate": "2.0", "effective_from": "2025-12-01", "effective_to": "2026-02-01"},
                          content_type="application/json")
    assert bounded.status_code == 409 and bounded.json()["code"] == "fee_rule_overlap"
    bad = client.post(url, {"rate": "2.12345", "effective_from": "2026-08-01"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"]["field"] == "rate"


def test_a_resident_reads_rates_but_cannot_change_them(fees, api, property_item):
    client = api(fees.owner.user, [fees.estate])
    assert client.get(f"{base(fees)}/fee-items").json()[0]["code"] == "property"
    assert client.get(f"{base(fees)}/fee-items/{property_item.pk}/rules").status_code == 200
    refused = client.post(f"{base(fees)}/fee-items/{property_item.pk}/rules",
                          {"rate": "9", "effective_from": "2026-08-01"}, content_type="application/json")
    assert refused.status_code == 403
    assert client.post(f"{base(fees)}/discounts", {"kind": "vacant", "percent": "50", "effective_from": "2026-01-01"},
                       content_type="application/json").status_code == 403
    assert client.get(f"{base(fees)}/meters").status_code == 403


def test_another_estates_fee_item_is_404(fees, api, other_estate, actor_for):
    other = fee_item_create(actor=actor_for("finance", other_estate), code="property", name="物业费", kind="area")
    client = api(fees.finance.user, [fees.estate])
    assert client.get(f"{base(fees)}/fee-items/{other.pk}").status_code == 404
    assert client.get(f"{base(fees)}/fee-items/{other.pk}/rules").status_code == 404
    assert client.post(f"{base(fees)}/fee-items/{other.pk}/rules", {"rate": "1", "effective_from": "2026-01-01"},
                       content_type="application/json").status_code == 404


def test_discounts_exemption_needs_a_house(fees, api, property_item, django_assert_max_num_queries):
    client = api(fees.finance.user, [fees.estate])
    missing = client.post(f"{base(fees)}/discounts", {"kind": "exemption", "percent": "100",
                                                      "effective_from": "2026-01-01", "reason": "低保"},
                          content_type="application/json")
    assert missing.status_code == 400 and missing.json()["detail"]["field"] == "house"
    for n in range(3):
        created = client.post(f"{base(fees)}/discounts", {"kind": "exemption", "percent": "100", "reason": "低保",
                                                          "house_id": fees.houses[n].pk,
                                                          "effective_from": "2026-01-01"},
                              content_type="application/json")
        assert created.status_code == 201
    with django_assert_max_num_queries(8):
        page = client.get(f"{base(fees)}/discounts?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]


def test_meters_and_readings_over_the_api(fees, api, django_assert_max_num_queries):
    finance = api(fees.finance.user, [fees.estate])
    technician = api(fees.technician.user, [fees.estate])
    made = finance.post(f"{base(fees)}/meters", {"house_id": fees.houses[0].pk, "kind": "water",
                                                 "installed_on": "2025-01-01", "initial_reading": "100"},
                        content_type="application/json")
    assert made.status_code == 201
    meter_id = made.json()["id"]
    url = f"{base(fees)}/meters/{meter_id}/readings"
    first = technician.post(url, {"read_on": "2025-10-31", "value": "130"}, content_type="application/json")
    assert first.status_code == 201
    again = technician.post(url, {"read_on": "2025-10-31", "value": "130"}, content_type="application/json")
    assert again.json()["id"] == first.json()["id"]
    other = technician.post(url, {"read_on": "2025-10-31", "value": "131"}, content_type="application/json")
    assert other.status_code == 409 and other.json()["code"] == "reading_exists"
    lower = technician.post(url, {"read_on": "2025-11-30", "value": "120"}, content_type="application/json")
    assert lower.status_code == 400
    assert lower.json()["messages"]["en"] == "value: reading 120.0 is lower than the last one, 130.0 on 2025-10-31"
    for house in fees.houses[1:]:
        meter_install(actor=fees.finance, house=house, kind="water", installed_on=D(2025, 1, 1), initial_reading=0)
    with django_assert_max_num_queries(8):
        assert len(technician.get(f"{base(fees)}/meters").json()["items"]) == 4
    with django_assert_max_num_queries(8):
        assert technician.get(url).json()["items"][0]["billed"] is False
    assert technician.post(f"{base(fees)}/meters", {"house_id": fees.houses[0].pk, "kind": "gas",
                                                    "installed_on": "2025-01-01", "initial_reading": "0"},
                           content_type="application/json").status_code == 403
    replaced = finance.post(f"{base(fees)}/meters/{meter_id}/replace", {"replaced_on": "2025-11-15",
                                                                       "final_reading": "140",
                                                                       "initial_reading": "0"},
                            content_type="application/json")
    assert replaced.status_code == 201 and replaced.json()["replaces_id"] == meter_id


def test_readings_import_and_template(fees, api):
    meter = meter_install(actor=fees.finance, house=fees.houses[0], kind="water", installed_on=D(2025, 1, 1),
                          initial_reading="1000")
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="1150")
    client = api(fees.finance.user, [fees.estate])
    template = client.get(f"{base(fees)}/readings/template.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("r.xlsx", workbook([("1", "1", "101", "水", "1100", "2025-11-30")]))
    response = client.post(f"{base(fees)}/readings/import", {"file": bad})
    assert response.status_code == 400 and response.json()["code"] == "import_invalid"
    assert response.json()["detail"]["errors"][0]["message_zh"].startswith("第 2 行 “读数”")
    good = SimpleUploadedFile("r.xlsx", workbook([("1", "1", "101", "水", "1160", "2025-11-30")]))
    assert client.post(f"{base(fees)}/readings/import", {"file": good}).json()["created"] == 1
    assert api(fees.technician.user, [fees.estate]).get(f"{base(fees)}/readings/template.xlsx").status_code == 403
