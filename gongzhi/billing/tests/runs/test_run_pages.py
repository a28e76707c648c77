"""The bill-run and bill pages: finance previews then issues; staff list bills; a resident opens their bill and
reads each line's explanation; finance adjusts once per form; others get 403 or 404."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongzhi.billing.bills import bill_one_off_issue
from gongzhi.billing.choices import BillKind
from gongzhi.billing.models import Adjustment, Bill
from gongzhi.billing.tests.conftest import make_bill, property_fee_item

pytestmark = pytest.mark.django_db


def client_for(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def url(fees, name, **kw) -> str:
    return reverse(f"billing:{name}", kwargs={"estate_id": fees.estate.pk, **kw})


def test_finance_previews_then_issues_a_month(fees):
    property_fee_item(fees.estate)
    finance = client_for(fees.finance)
    month = timezone.localdate().replace(day=1).isoformat()
    form = {"period_kind": "month", "period_start": month, "building": ""}
    preview = finance.post(url(fees, "runs"), {**form, "action": "preview"})
    assert preview.status_code == 200
    assert "936.10" in preview.content.decode() and not Bill.objects.exists()
    issued = finance.post(url(fees, "runs"), {**form, "action": "issue"})
    assert issued.status_code == 302 and Bill.objects.count() == 4
    page = finance.get(issued["Location"])
    assert page.status_code == 200 and "2-1-102" in page.content.decode()
    assert "936.10" in finance.get(url(fees, "runs")).content.decode()


def test_a_refused_run_is_shown_on_the_form(fees):
    finance = client_for(fees.finance)
    response = finance.post(url(fees, "runs"), {"period_kind": "month", "period_start": "2026-01-15",
                                                "action": "preview"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "first day of a month" in response.content.decode()


def test_a_resident_reads_their_bill_with_its_explanations_and_not_anothers(fees):
    mine = bill_one_off_issue(actor=fees.finance, house=fees.houses[2], description="滞纳金", amount="3.12",
                              source_key="late:1", ledger_code="4004", kind=BillKind.LATE_FEE,
                              explanation="165.55 元 × 0.05% × 38 天 = 3.15 元，封顶 3.12 元",
                              basis={"days": 38, "daily_rate": "0.0005"})
    theirs = make_bill(fees.houses[0])
    owner2 = client_for(fees.owner2)
    page = owner2.get(url(fees, "bill", bill_id=mine.pk)).content.decode()
    assert "165.55 元 × 0.05% × 38 天" in page and "daily_rate = 0.0005" in page
    assert owner2.get(url(fees, "bill", bill_id=theirs.pk)).status_code == 404
    assert owner2.get(url(fees, "runs")).status_code == 403
    listing = owner2.get(url(fees, "bills")).content.decode()
    assert f"#{mine.pk}" in listing and f"#{theirs.pk}<" not in listing


def test_staff_filter_the_bill_list(fees):
    a = make_bill(fees.houses[0])
    b = make_bill(fees.houses[2])
    page = client_for(fees.service).get(url(fees, "bills"), {"building": fees.houses[2].building_id}).content.decode()
    assert f">#{b.pk}<" in page and f">#{a.pk}<" not in page


def test_finance_adjusts_once_per_form(fees):
    bill = make_bill(fees.houses[0], ["100.00"])
    finance = client_for(fees.finance)
    form = {"amount": "-20.00", "reason": "电梯停运补偿", "key": "form-key-1"}
    assert finance.post(url(fees, "adjust", bill_id=bill.pk), form).status_code == 302
    assert finance.post(url(fees, "adjust", bill_id=bill.pk), form).status_code == 302
    assert Adjustment.objects.count() == 1
    refused = finance.post(url(fees, "adjust", bill_id=bill.pk), {**form, "amount": "-200", "key": "k2"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "below" in refused.content.decode()
    assert client_for(fees.service).get(url(fees, "adjust", bill_id=bill.pk)).status_code == 403


def test_another_estates_member_gets_404(fees, other_estate, actor_for):
    bill = make_bill(fees.houses[0])
    stranger = client_for(actor_for("finance", other_estate))
    assert stranger.get(url(fees, "bill", bill_id=bill.pk)).status_code == 404
    assert stranger.get(reverse("billing:bill", kwargs={"estate_id": other_estate.pk, "bill_id": bill.pk})).status_code == 404
