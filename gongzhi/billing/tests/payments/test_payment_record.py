"""payment_record: money received at the desk (or online) settles bills, oldest first or as chosen; the rest is
kept as prepayment; a receipt is numbered; the ledger gets the entry; a retry records nothing twice."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.billing.choices import AllocationSource, BillStatus, PaymentMethod, PrepaymentKind
from gongzhi.billing.models import BillingAccount, Payment, PaymentAllocation, PrepaymentEntry, Receipt
from gongzhi.billing.payments import balance_check, house_balance, payment_record
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.estate.tests.factories import EstateFactory, HouseFactory

from .helpers import entry_lines

pytestmark = pytest.mark.django_db


def pay(fees, house, amount, key="k1", **kw):
    kw.setdefault("method", PaymentMethod.CASH)
    return payment_record(actor=fees.finance, house=house, amount=Decimal(amount), key=key, **kw)


def test_cash_settles_open_bills_oldest_due_first(fees):
    # given two open bills of a house, the later one created first
    house = fees.houses[0]
    feb = make_bill(house, ["100.00"], period_start=datetime.date(2026, 2, 1))
    jan = make_bill(house, ["80.00"], period_start=datetime.date(2026, 1, 1))
    # when finance records 120 yuan in cash without choosing bills
    payment = pay(fees, house, "120.00", payer_name="张三")
    # then January is settled first and February gets the rest
    jan.refresh_from_db()
    feb.refresh_from_db()
    assert (jan.settled, jan.status) == (Decimal("80.00"), BillStatus.PAID)
    assert (feb.settled, feb.status) == (Decimal("40.00"), BillStatus.OPEN)
    assert sorted(PaymentAllocation.objects.filter(payment=payment).values_list("bill_id", "amount")) == sorted(
        [(jan.pk, Decimal("80.00")), (feb.pk, Decimal("40.00"))])
    # and a receipt numbered 1 lists both bills
    receipt = payment.receipt
    assert receipt.number == 1
    assert [b["bill_id"] for b in receipt.detail["bills"]] == [jan.pk, feb.pk]
    assert receipt.detail["settled"] == "120.00" and receipt.detail["prepaid"] == "0.00"
    # and the ledger has Dr cash / Cr receivable, the payer kept private
    assert entry_lines(f"billing:payment:{payment.pk}", fees.estate) == [("1001", "120.00", "0.00"),
                                                                        ("1122", "0.00", "120.00")]
    assert AuditEntry.objects.filter(action="billing.payment_record", object_id=str(payment.pk)).exists()
    assert balance_check(house).ok


def test_chosen_bills_are_settled_in_the_order_given(fees):
    house = fees.houses[0]
    jan = make_bill(house, ["80.00"], period_start=datetime.date(2026, 1, 1))
    feb = make_bill(house, ["100.00"], period_start=datetime.date(2026, 2, 1))
    # when the payer asks to settle February, then January, with 150
    pay(fees, house, "150.00", bill_ids=[feb.pk, jan.pk])
    jan.refresh_from_db()
    feb.refresh_from_db()
    # then February is settled and January only partly
    assert feb.status == BillStatus.PAID and jan.settled == Decimal("50.00") and jan.status == BillStatus.OPEN


def test_overpayment_is_kept_as_prepayment(fees):
    house = fees.houses[1]
    bill = make_bill(house, ["260.70"])
    payment = pay(fees, house, "300.00", method=PaymentMethod.BANK_TRANSFER, reference="B123")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    account = BillingAccount.objects.get(house=house)
    assert account.prepaid == Decimal("39.30")
    entry = PrepaymentEntry.objects.get(payment=payment)
    assert (entry.kind, entry.amount) == (PrepaymentKind.DEPOSIT, Decimal("39.30"))
    assert entry_lines(f"billing:payment:{payment.pk}", fees.estate) == [
        ("1002", "300.00", "0.00"), ("1122", "0.00", "260.70"), ("2201", "0.00", "39.30")]
    balance = house_balance(house)
    assert (balance.billed, balance.paid, balance.prepaid, balance.outstanding) == (
        Decimal("260.70"), Decimal("300.00"), Decimal("39.30"), Decimal("0.00"))
    assert balance.net == Decimal("-39.30")
    assert balance_check(house).ok


def test_payment_with_no_open_bill_is_all_prepayment(fees):
    house = fees.houses[2]
    payment = pay(fees, house, "500.00")
    assert BillingAccount.objects.get(house=house).prepaid == Decimal("500.00")
    assert not PaymentAllocation.objects.filter(payment=payment).exists()
    assert entry_lines(f"billing:payment:{payment.pk}", fees.estate) == [("1001", "500.00", "0.00"),
                                                                        ("2201", "0.00", "500.00")]


def test_same_key_twice_records_once(fees):
    house = fees.houses[0]
    make_bill(house, ["80.00"])
    first = pay(fees, house, "80.00", key="desk-1")
    again = pay(fees, house, "80.00", key="desk-1")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1 and Receipt.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1


def test_key_reused_for_a_different_request_is_409(fees):
    house = fees.houses[0]
    pay(fees, house, "80.00", key="desk-1")
    with pytest.raises(Conflict) as err:
        pay(fees, house, "81.00", key="desk-1")
    assert err.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):
        pay(fees, fees.houses[1], "80.00", key="desk-1")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "10000000.01", "NaN", "abc", "Infinity"])
def test_bad_amounts_are_refused(fees, amount):
    with pytest.raises(DomainError) as err:
        payment_record(actor=fees.finance, house=fees.houses[0], amount=amount, method="cash", key="x")
    assert err.value.status == 400 and err.value.detail["field"] == "amount"
    assert not Payment.objects.exists()


def test_float_amount_is_refused(fees):
    with pytest.raises(DomainError):
        payment_record(actor=fees.finance, house=fees.houses[0], amount=10.5, method="cash", key="x")


def test_unknown_method_and_missing_reference_are_refused(fees):
    with pytest.raises(DomainError) as err:
        pay(fees, fees.houses[0], "10.00", method="bitcoin")
    assert err.value.detail["field"] == "method"
    for method in (PaymentMethod.BANK_TRANSFER, PaymentMethod.POS):
        with pytest.raises(DomainError) as err:
            pay(fees, fees.houses[0], "10.00", method=method)
        assert err.value.detail["field"] == "reference"
    assert not Payment.objects.exists()


def test_a_bill_of_another_house_or_estate_is_not_found(fees):
    other_house_bill = make_bill(fees.houses[1], ["50.00"])
    foreign = make_bill(HouseFactory(estate=EstateFactory()), ["50.00"])
    for bill in (other_house_bill, foreign):
        with pytest.raises(NotFound):
            pay(fees, fees.houses[0], "50.00", bill_ids=[bill.pk])
    assert not Payment.objects.exists()


def test_a_house_of_another_estate_is_not_found(fees):
    with pytest.raises(NotFound):
        pay(fees, HouseFactory(estate=EstateFactory()), "50.00")


def test_only_finance_and_the_manager_record_payments(fees):
    for actor in (fees.owner, fees.service, fees.chair, fees.technician):
        with pytest.raises(Forbidden):
            payment_record(actor=actor, house=fees.houses[0], amount="10.00", method="cash", key="x")
    payment_record(actor=fees.manager, house=fees.houses[0], amount="10.00", method="cash", key="x")


def test_online_payment_without_actor(fees):
    house = fees.houses[3]
    make_bill(house, ["99.00"])
    payment = payment_record(actor=None, house=house, amount=Decimal("99.00"), method=PaymentMethod.SANDBOX,
                             key="order:GZ1", check_permission=False, reference="tx-1")
    assert payment.actor is None and payment.receipt.number == 1
    assert entry_lines(f"billing:payment:{payment.pk}", fees.estate)[0] == ("1012", "99.00", "0.00")


def test_a_future_receipt_date_is_refused(fees):
    with pytest.raises(DomainError) as err:
        pay(fees, fees.houses[0], "10.00", received_at=timezone.now() + datetime.timedelta(days=1))
    assert err.value.detail["field"] == "received_at"


def test_receipts_number_on_without_gaps_after_a_refused_payment(fees):
    pay(fees, fees.houses[0], "10.00", key="a")
    with pytest.raises(DomainError):
        pay(fees, fees.houses[0], "10.00", key="b", method=PaymentMethod.POS)
    second = pay(fees, fees.houses[1], "10.00", key="c")
    assert second.receipt.number == 2


def test_prepayment_allocation_source_is_payment(fees):
    house = fees.houses[0]
    make_bill(house, ["10.00"])
    payment = pay(fees, house, "10.00")
    assert set(PaymentAllocation.objects.filter(payment=payment).values_list("source", flat=True)) == {
        AllocationSource.PAYMENT}
