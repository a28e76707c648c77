"""The rows the bulk writer stores (ADR 0013): references the database no longer checks still resolve, what they
point at cannot be deleted, and the lines stay append-only after the migration that rebuilt their table."""

import pytest
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from gongzhi.billing.models import Bill, BillLine, BillRun, FeeItem
from gongzhi.billing.runs import bill_run_issue
from gongzhi.billing.tests.conftest import property_fee_item
from gongzhi.estate.models import Estate, House, Person

pytestmark = pytest.mark.django_db


def issue_this_month(fees) -> BillRun:
    property_fee_item(fees.estate)
    return bill_run_issue(actor=fees.finance, period_kind="month", period_start=timezone.localdate().replace(day=1))


def test_every_reference_of_a_run_resolves_within_the_estate(fees):
    # given a run written by the bulk writer
    run = issue_this_month(fees)
    bills = Bill.objects.filter(run=run)
    lines = BillLine.objects.filter(bill__run=run)
    assert bills.exists() and lines.exists()
    # then each bill's house, payer and run, and each line's bill and fee item, exist in the same estate
    estate = fees.estate
    houses = set(House.objects.filter(estate=estate).values_list("pk", flat=True))
    people = set(Person.objects.filter(estate=estate).values_list("pk", flat=True))
    items = set(FeeItem.objects.filter(estate=estate).values_list("pk", flat=True))
    for bill in bills:
        assert bill.estate_id == estate.pk and bill.house_id in houses and bill.run_id == run.pk
        assert bill.payer_person_id is None or bill.payer_person_id in people
    bill_ids = set(bills.values_list("pk", flat=True))
    for line in lines:
        assert line.estate_id == estate.pk and line.bill_id in bill_ids and line.fee_item_id in items
    # and the lines have the ids the database gave them, one each
    assert lines.values("pk").distinct().count() == lines.count()


def test_what_a_bill_points_at_cannot_be_deleted(fees):
    # given a house, its payer and the fee item on issued bills
    run = issue_this_month(fees)
    bill = Bill.objects.filter(run=run).first()
    # when anyone deletes them through the ORM (the admin, a shell), then Django refuses: on_delete=PROTECT holds
    # without a database constraint
    for obj in (bill.house, FeeItem.objects.get(pk=bill.lines.first().fee_item_id), run,
                Estate.objects.get(pk=fees.estate.pk)):
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    assert Bill.objects.filter(pk=bill.pk).exists()


def test_the_lines_stay_append_only(fees):
    run = issue_this_month(fees)
    line = BillLine.objects.filter(bill__run=run).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BillLine.objects.filter(pk=line.pk).update(amount=0)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BillLine.objects.filter(pk=line.pk).delete()
