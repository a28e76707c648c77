"""Refunds from the prepayment balance: finance asks, a manager who did not ask approves; approval moves the money
(prepayment entry, ledger Dr 2201 / Cr cash or bank) and tells the requester."""

from decimal import Decimal

import pytest

from gongzhi.billing.choices import PrepaymentKind, RefundStatus
from gongzhi.billing.models import BillingAccount, PrepaymentEntry, Refund
from gongzhi.billing.payments import balance_check, house_balance, payment_record
from gongzhi.billing.refunds import refund_approve, refund_reject, refund_request
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.notifications.models import Notification

from .helpers import entry_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepaid(fees):
    house = fees.houses[0]
    payment_record(actor=fees.finance, house=house, amount=Decimal("200.00"), method="cash", key="p")
    return house


def ask(fees, house, amount="150.00", key="r1", method="bank_transfer", actor=None):
    return refund_request(actor=actor or fees.finance, house=house, amount=amount, method=method,
                          reason="业主搬离", key=key)


def test_request_then_approval_pays_out(fees, prepaid):
    refund = ask(fees, prepaid)
    assert refund.status == RefundStatus.REQUESTED
    assert BillingAccount.objects.get(house=prepaid).prepaid == Decimal("200.00")  # nothing moves yet
    done = refund_approve(actor=fees.manager, refund=refund, note="ok")
    assert done.status == RefundStatus.APPROVED and done.decided_by == fees.manager.user
    assert BillingAccount.objects.get(house=prepaid).prepaid == Decimal("50.00")
    assert PrepaymentEntry.objects.get(kind=PrepaymentKind.REFUND).amount == Decimal("-150.00")
    assert entry_lines(f"billing:refund:{refund.pk}", fees.estate) == [("2201", "150.00", "0.00"),
                                                                      ("1002", "0.00", "150.00")]
    assert Notification.objects.filter(user=fees.finance.user).exists()
    balance = house_balance(prepaid)
    assert (balance.paid, balance.refunded, balance.prepaid) == (Decimal("200.00"), Decimal("150.00"),
                                                                 Decimal("50.00"))
    assert balance_check(prepaid).ok


def test_cash_refund_credits_cash(fees, prepaid):
    refund = refund_approve(actor=fees.manager, refund=ask(fees, prepaid, method="cash"))
    assert entry_lines(f"billing:refund:{refund.pk}", fees.estate)[1] == ("1001", "0.00", "150.00")


def test_the_requester_cannot_approve_their_own_refund(fees, prepaid):
    refund = ask(fees, prepaid, actor=fees.manager)
    with pytest.raises(Forbidden) as err:
        refund_approve(actor=fees.manager, refund=refund)
    assert err.value.code == "four_eyes"
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REQUESTED


def test_finance_cannot_approve(fees, prepaid):
    with pytest.raises(Forbidden):
        refund_approve(actor=fees.finance, refund=ask(fees, prepaid))


def test_not_more_than_the_balance_less_waiting_refunds(fees, prepaid):
    with pytest.raises(Conflict) as err:
        ask(fees, prepaid, amount="200.01")
    assert err.value.code == "refund_over_balance"
    ask(fees, prepaid, amount="150.00", key="a")
    with pytest.raises(Conflict):
        ask(fees, prepaid, amount="60.00", key="b")
    ask(fees, prepaid, amount="50.00", key="c")


def test_approval_rechecks_the_balance_under_the_lock(fees, prepaid):
    # given a refund asked for, then the balance drawn into a new bill by a later payment run
    refund = ask(fees, prepaid, amount="150.00")
    make_bill(prepaid, ["100.00"])
    from gongzhi.billing.payments import prepayment_apply

    prepayment_apply(estate=fees.estate)
    with pytest.raises(Conflict) as err:
        refund_approve(actor=fees.manager, refund=refund)
    assert err.value.detail == {"balance": "100.00"}
    assert BillingAccount.objects.get(house=prepaid).prepaid == Decimal("100.00")


def test_rejection_moves_nothing_and_tells_the_requester(fees, prepaid):
    refund = refund_reject(actor=fees.manager, refund=ask(fees, prepaid), note="请核实")
    assert refund.status == RefundStatus.REJECTED
    assert BillingAccount.objects.get(house=prepaid).prepaid == Decimal("200.00")
    assert Notification.objects.filter(user=fees.finance.user, title__contains="150.00").exists()
    with pytest.raises(Conflict):
        refund_approve(actor=fees.manager, refund=refund)


def test_same_key_asks_once_and_a_reused_key_is_409(fees, prepaid):
    first = ask(fees, prepaid)
    assert ask(fees, prepaid).pk == first.pk
    with pytest.raises(Conflict) as err:
        ask(fees, prepaid, amount="10.00")
    assert err.value.code == "idempotency_key_reused"


def test_approving_twice_pays_once(fees, prepaid):
    refund = ask(fees, prepaid)
    refund_approve(actor=fees.manager, refund=refund)
    refund_approve(actor=fees.manager, refund=refund)
    assert PrepaymentEntry.objects.filter(kind=PrepaymentKind.REFUND).count() == 1


def test_bad_requests(fees, prepaid):
    with pytest.raises(Forbidden):
        ask(fees, prepaid, actor=fees.owner)
    with pytest.raises(DomainError) as err:
        ask(fees, prepaid, method="pos")
    assert err.value.detail["field"] == "method"
    with pytest.raises(DomainError):
        ask(fees, prepaid, amount="-1")
