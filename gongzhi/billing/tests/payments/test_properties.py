"""Properties of the money core, for random sequences of bills, payments (oldest first or chosen bills),
adjustments, prepayment draws, voids and refunds on two houses:

- each payment's allocations sum to the payment minus the part it kept as prepayment (zero once voided);
- a house's balance equals bills minus payments plus adjustments (plus refunds) at every step, and every running
  total equals its recomputation from the append-only rows (``balance_check``);
- no negative balance appears without an explicit refund: no bill is settled beyond what it asks, and no
  prepayment balance goes below zero.

Each example runs in a savepoint that is rolled back, so it starts from the same clean world.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gongzhi.billing.bills import adjustment_create
from gongzhi.billing.choices import BillStatus
from gongzhi.billing.models import Bill, BillingAccount, Payment, PaymentAllocation, PrepaymentEntry
from gongzhi.billing.payments import balance_check, fen, house_balance, payment_record, prepayment_apply
from gongzhi.billing.receipts import receipt_void
from gongzhi.billing.refunds import refund_approve, refund_request
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")

cents = st.integers(min_value=1, max_value=40_000)
steps = st.lists(st.one_of(
    st.tuples(st.just("bill"), st.integers(0, 1), cents),
    st.tuples(st.just("pay"), st.integers(0, 1), cents, st.booleans(), st.integers(0, 7)),
    st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-20_000, 20_000), st.integers(0, 7)),
    st.tuples(st.just("apply"), st.integers(0, 1)),
    st.tuples(st.just("void"), st.integers(0, 1), st.integers(0, 7)),
    st.tuples(st.just("refund"), st.integers(0, 1), st.integers(1, 100)),
), min_size=1, max_size=10)


class Rollback(Exception):
    pass


def money(n: int) -> Decimal:
    return (Decimal(n) * CENT).quantize(CENT)


def check_invariants(houses) -> None:
    for house in houses:
        check = balance_check(house)
        assert check.ok, check.problems
        b = house_balance(house)
        assert b.net == b.billed + b.adjusted - b.paid + b.refunded
        assert b.prepaid >= 0 and b.outstanding >= 0
        for bill in Bill.objects.filter(house=house):
            assert 0 <= bill.settled <= bill.total
            assert (bill.status == BillStatus.PAID) == (bill.settled >= bill.total)
    for payment in Payment.objects.filter(house__in=houses).select_related("receipt"):
        allocated = fen(PaymentAllocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"])
        kept = fen(PrepaymentEntry.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"])
        voided = hasattr(payment.receipt, "void")
        assert allocated + kept == (0 if voided else payment.amount)
        assert allocated == (0 if voided else payment.amount - kept)


def run(fees, program) -> None:
    houses = fees.houses[:2]
    counter = 0
    for step in program:
        counter += 1
        kind, h = step[0], houses[step[1]]
        if kind == "bill":
            make_bill(h, [str(money(step[2]))], period_start=datetime.date(2025, 1 + counter % 12, 1),
                      due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=counter % 5))
        elif kind == "pay":
            _k, _h, amount, choose, pick = step
            bill_ids = None
            if choose:
                open_ids = list(Bill.objects.filter(house=h, status=BillStatus.OPEN).order_by("id")
                                .values_list("id", flat=True))
                bill_ids = open_ids[pick % len(open_ids):] + open_ids[:pick % len(open_ids)] if open_ids else None
            payment_record(actor=fees.finance, house=h, amount=money(amount), method="cash", key=f"p{counter}",
                           bill_ids=bill_ids)
        elif kind == "adjust":
            _k, _h, amount, pick = step
            bills = list(Bill.objects.filter(house=h).order_by("id"))
            if not bills or amount == 0:
                continue
            bill = bills[pick % len(bills)]
            delta = money(amount)
            if delta < 0:  # a credit no larger than what the bill still owes (the service refuses more)
                delta = max(delta, -(bill.total - bill.settled))
                if delta == 0:
                    continue
            adjustment_create(actor=fees.finance, bill=bill, amount=delta, reason="test", key=f"a{counter}")
        elif kind == "apply":
            prepayment_apply(estate=fees.estate, house_ids=[h.pk])
        elif kind == "void":
            payments = list(Payment.objects.filter(house=h).order_by("id").select_related("receipt"))
            if not payments:
                continue
            receipt = payments[step[2] % len(payments)].receipt
            try:
                receipt_void(actor=fees.finance, receipt=receipt, reason="test")
            except Conflict as error:  # the prepayment it kept was used since: refused, nothing written
                assert error.code == "prepayment_used"
        elif kind == "refund":
            prepaid = BillingAccount.objects.filter(house=h).values_list("prepaid", flat=True).first() or Decimal(0)
            amount = (prepaid * step[2] / 100).quantize(CENT)
            if amount <= 0:
                continue
            refund = refund_request(actor=fees.finance, house=h, amount=amount, method="cash", reason="test",
                                    key=f"r{counter}")
            refund_approve(actor=fees.manager, refund=refund)
        check_invariants(houses)


@settings(max_examples=12, phases=[Phase.explicit, Phase.reuse, Phase.generate], derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(program=steps)
def test_money_is_conserved_at_every_step(fees, program):
    try:
        with transaction.atomic():
            run(fees, program)
            raise Rollback
    except Rollback:
        pass
