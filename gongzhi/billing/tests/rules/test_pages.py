"""Stories of the fee-rules pages: who sees which page, and the forms doing what the services do."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gongzhi.billing.meters import meter_install, reading_record
from gongzhi.billing.models import FeeRule, MeterReading
from gongzhi.billing.rules import fee_item_create

from .helpers import workbook

pytestmark = pytest.mark.django_db
D = datetime.date


def client_for(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def url(fees, name, **kwargs) -> str:
    return reverse(f"billing:{name}", kwargs={"estate_id": fees.estate.pk, **kwargs})


@pytest.fixture
def item(fees):
    return fee_item_create(actor=fees.finance, code="property", name="物业费", kind="area", rate="2.20",
                           effective_from=D(2026, 1, 1))


def test_every_member_reads_the_rates_and_only_finance_opens_the_console(fees, item):
    for actor in (fees.owner, fees.tenant, fees.chair, fees.finance):
        response = client_for(actor).get(url(fees, "rates"))
        assert response.status_code == 200 and "物业费" in response.text
    assert client_for(fees.owner).get(url(fees, "fees")).status_code == 403
    assert client_for(fees.technician).get(url(fees, "discounts")).status_code == 403
    for name in ("fees", "discounts", "meters", "readings_import"):
        assert client_for(fees.manager).get(url(fees, name)).status_code == 200
    assert client_for(fees.finance).get(url(fees, "fee_item", fee_item_id=item.pk)).status_code == 200
    assert client_for(fees.technician).get(url(fees, "meters")).status_code == 200
    assert client_for(fees.owner).get(url(fees, "meters")).status_code == 403


def test_a_new_rate_from_the_page_ends_the_open_one(fees, item):
    response = client_for(fees.finance).post(url(fees, "fee_item", fee_item_id=item.pk), {
        "rule-rate": "2.50", "rule-effective_from": "2026-07-01"})
    assert response.status_code == 302
    assert list(FeeRule.objects.order_by("effective_from").values_list("effective_to", flat=True)) == [
        D(2026, 6, 30), None]
    overlap = client_for(fees.finance).post(url(fees, "fee_item", fee_item_id=item.pk), {
        "rule-rate": "2.60", "rule-effective_from": "2026-03-01", "rule-effective_to": "2026-03-31"})
    assert overlap.status_code == 400


def test_another_estates_fee_item_page_is_404(fees, other_estate, actor_for):
    other = fee_item_create(actor=actor_for("finance", other_estate), code="x", name="x", kind="fixed")
    assert client_for(fees.finance).get(url(fees, "fee_item", fee_item_id=other.pk)).status_code == 404


def test_a_round_of_readings_is_entered_house_by_house(fees):
    m1 = meter_install(actor=fees.finance, house=fees.houses[0], kind="water", installed_on=D(2025, 1, 1),
                       initial_reading="100")
    m2 = meter_install(actor=fees.finance, house=fees.houses[1], kind="water", installed_on=D(2025, 1, 1),
                       initial_reading="100")
    response = client_for(fees.technician).post(url(fees, "meters") + "?kind=water", {
        "action": "read", "read_on": "2025-10-31", f"m{m1.pk}": "110", f"m{m2.pk}": "90"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "lower than" in response.text
    assert list(MeterReading.objects.values_list("meter_id", "value")) == [(m1.pk, 110)]
    assert client_for(fees.finance).get(url(fees, "meter", meter_id=m1.pk)).status_code == 200


def test_the_import_page_previews_problems_then_imports(fees):
    meter = meter_install(actor=fees.finance, house=fees.houses[0], kind="water", installed_on=D(2025, 1, 1),
                          initial_reading="100")
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="150")
    client = client_for(fees.finance)
    bad = client.post(url(fees, "readings_import"), {
        "action": "check", "file": SimpleUploadedFile("r.xlsx", workbook([("1", "1", "101", "水", "140",
                                                                            "2025-11-30")]))})
    assert bad.status_code == 400 and "“读数”" in bad.text
    good = workbook([("1", "1", "101", "水", "160", "2025-11-30")])
    checked = client.post(url(fees, "readings_import"), {"action": "check", "file": SimpleUploadedFile("r.xlsx", good)})
    assert checked.status_code == 200 and MeterReading.objects.count() == 1
    done = client.post(url(fees, "readings_import"), {"action": "import", "file": SimpleUploadedFile("r.xlsx", good)})
    assert done.status_code == 302 and MeterReading.objects.count() == 2
    assert client.get(url(fees, "readings_template")).content.startswith(b"PK")
    assert client_for(fees.technician).get(url(fees, "readings_import")).status_code == 403
