"""bill_one_off_issue: a repair charge or a late fee, billed once to whoever pays today, posted to the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.billing.bills import bill_balance_check, bill_one_off_issue
from gongzhi.billing.choices import BillKind, BillStatus, PayerKind
from gongzhi.billing.models import Bill, BillLine
from gongzhi.core.audit import AuditEntry
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.estate.tests.factories import PersonFactory, ResidencyFactory

from .helpers import entries, posted

pytestmark = pytest.mark.django_db


def test_a_repair_charge_is_billed_to_the_owner_and_posted(fees):
    # given house 1-1-101, owned by the owner
    house = fees.houses[0]
    # when finance bills a repair
    bill = bill_one_off_issue(actor=fees.finance, house=house, description="更换水龙头", amount="85.50",
                              source_key="repair:17", explanation="材料 35.50 元 + 人工 50.00 元")
    # then the owner owes it, due after fees.due_days, with one line carrying the explanation
    assert bill.kind == BillKind.ONE_OFF and bill.status == BillStatus.OPEN
    assert bill.amount == Decimal("85.50") and bill.payer_kind == PayerKind.OWNER
    assert bill.payer_key.startswith("person:")
    assert bill.due_date == timezone.localdate() + datetime.timedelta(days=30)
    line = BillLine.objects.get(bill=bill)
    assert (line.amount, line.ledger_code, line.explanation) == (Decimal("85.50"), "4009", "材料 35.50 元 + 人工 50.00 元")
    # and the ledger has Dr 1122 / Cr 4009
    assert posted(fees.estate, f"billing:bill:{bill.pk}") == [("1122", Decimal("85.50"), Decimal("0")),
                                                             ("4009", Decimal("0"), Decimal("85.50"))]
    assert AuditEntry.objects.filter(action="bill.issue_one_off", object_id=str(bill.pk)).count() == 1
    assert bill_balance_check(bill).ok


def test_issuing_the_same_source_again_returns_the_first_bill(fees):
    house = fees.houses[1]
    first = bill_one_off_issue(actor=fees.finance, house=house, description="装修押金", amount="2000",
                               source_key="deposit:3", ledger_code="2202")
    again = bill_one_off_issue(actor=fees.finance, house=house, description="装修押金", amount="2000",
                               source_key="deposit:3", ledger_code="2202")
    assert again.pk == first.pk
    assert Bill.objects.filter(source_key="deposit:3").count() == 1
    assert entries(fees.estate) == 1
    assert posted(fees.estate, f"billing:bill:{first.pk}")[1] == ("2202", Decimal("0"), Decimal("2000.00"))


def test_the_same_source_for_another_amount_is_a_conflict(fees):
    bill_one_off_issue(actor=fees.finance, house=fees.houses[1], description="维修", amount="10", source_key="r:1")
    with pytest.raises(Conflict) as err:
        bill_one_off_issue(actor=fees.finance, house=fees.houses[1], description="维修", amount="11",
                           source_key="r:1")
    assert err.value.code == "idempotency_key_reused"


def test_a_late_fee_from_the_task_has_no_actor_and_books_to_late_fees(fees):
    bill = bill_one_off_issue(actor=None, house=fees.houses[2], description="滞纳金", amount="3.12",
                              source_key="late:99", ledger_code="4004", kind=BillKind.LATE_FEE,
                              basis={"days": 12, "rate": "0.001"}, check_permission=False)
    assert bill.kind == BillKind.LATE_FEE
    assert BillLine.objects.get(bill=bill).basis == {"days": 12, "rate": "0.001"}
    assert posted(fees.estate, f"billing:bill:{bill.pk}")[1] == ("4004", Decimal("0"), Decimal("3.12"))


def test_when_the_tenant_pays_the_tenant_gets_the_bill(fees):
    fees.estate.rule_overrides = {"fees.tenant_pays": True}
    fees.estate.save()
    bill = bill_one_off_issue(actor=fees.finance, house=fees.houses[3], description="维修", amount="40",
                              source_key="r:2")
    assert bill.payer_kind == PayerKind.TENANT


def test_a_house_held_by_the_developer_bills_the_developer(fees):
    house = fees.houses[3]
    house.developer_held = True
    house.save()
    bill = bill_one_off_issue(actor=fees.finance, house=house, description="维修", amount="40", source_key="r:3")
    assert (bill.payer_kind, bill.payer_key, bill.payer_name) == (PayerKind.DEVELOPER, "developer", "开发商")


def test_co_owners_get_one_bill_addressed_to_their_representative(fees):
    house = fees.houses[2]
    rep = PersonFactory(estate=fees.estate, name="代表人")
    house.residencies.filter(kind="owner").update(is_representative=False)
    ResidencyFactory(house=house, person=rep, kind="co_owner", is_representative=True)
    bill = bill_one_off_issue(actor=fees.finance, house=house, description="维修", amount="40", source_key="r:4")
    assert (bill.payer_person_id, bill.payer_name) == (rep.pk, "代表人")


@pytest.mark.parametrize(("field", "kwargs"), [
    ("amount", {"amount": "0"}),
    ("amount", {"amount": "-5"}),
    ("amount", {"amount": "1.005"}),
    ("amount", {"amount": "abc"}),
    ("description", {"description": "  "}),
    ("source_key", {"source_key": ""}),
    ("ledger_code", {"ledger_code": "1001"}),
    ("kind", {"kind": BillKind.PERIODIC}),
])
def test_bad_input_is_refused_and_nothing_is_written(fees, field, kwargs):
    args = {"actor": fees.finance, "house": fees.houses[0], "description": "维修", "amount": "10",
            "source_key": "r:bad", **kwargs}
    with pytest.raises(DomainError) as err:
        bill_one_off_issue(**args)
    assert err.value.detail["field"] == field
    assert not Bill.objects.exists() and entries(fees.estate) == 0


def test_only_finance_and_the_manager_issue_and_only_in_their_estate(fees, other_estate, actor_for):
    for actor in (fees.service, fees.owner, fees.technician):
        with pytest.raises(Forbidden):
            bill_one_off_issue(actor=actor, house=fees.houses[0], description="维修", amount="1", source_key="r:5")
    stranger = actor_for("finance", other_estate)
    with pytest.raises(NotFound):
        bill_one_off_issue(actor=stranger, house=fees.houses[0], description="维修", amount="1", source_key="r:6")
    assert not Bill.objects.exists()
