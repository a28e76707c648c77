"""Concurrent payments on PostgreSQL: parallel workers (threads, each with its own connection) record payments
for different houses and for the same house at once. Receipt numbers come out 1..N without a gap or a duplicate,
every payment is recorded once, and each house's running totals agree with its rows.

SQLite serialises writers on one database lock, so the race this proves cannot happen there (skipped; CI runs it
on PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from gongzhi.billing.models import Bill, Payment, Receipt
from gongzhi.billing.payments import balance_check, house_balance, payment_record
from gongzhi.billing.tests.conftest import make_bill

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks (SELECT ... FOR UPDATE) race only on PostgreSQL; SQLite has one writer"),
]
WORKERS = 8
PER_WORKER = 4


def test_parallel_payments_number_receipts_without_gaps(fees):
    houses = fees.houses
    for house in houses:
        make_bill(house, ["100.00"])
        make_bill(house, ["150.00"])
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(PER_WORKER):
                # Workers 0-3 share house 0; the others spread over every house.
                house = houses[0] if w < 4 else houses[(w + i) % len(houses)]
                payment_record(actor=fees.finance, house=house, amount=Decimal("30.00"), method="cash",
                               key=f"w{w}-{i}")
                # A retry of the same request, racing the others, records nothing.
                payment_record(actor=fees.finance, house=house, amount=Decimal("30.00"), method="cash",
                               key=f"w{w}-{i}")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    n = WORKERS * PER_WORKER
    assert Payment.objects.count() == n
    assert sorted(Receipt.objects.filter(estate=fees.estate).values_list("number", flat=True)) == list(range(1, n + 1))
    for house in houses:
        assert balance_check(house).ok, balance_check(house).problems
        paid = Decimal("30.00") * Payment.objects.filter(house=house).count()
        balance = house_balance(house)
        assert balance.paid == paid
        settled = sum(Bill.objects.filter(house=house).values_list("settled", flat=True), Decimal("0"))
        assert settled == min(paid, Decimal("250.00")) and balance.prepaid == paid - settled
