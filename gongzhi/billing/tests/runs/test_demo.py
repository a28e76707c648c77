"""seed_billing: a year of fees for a demo estate, through the services, once."""

import pytest

from gongzhi.billing.bills import bill_balance_check
from gongzhi.billing.demo import seed_billing
from gongzhi.billing.models import Bill, BillRun, Payment
from gongzhi.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_a_year_of_runs_and_payments_once(fees):
    issued = seed_billing(estate=fees.estate)
    assert issued >= 4 * 12 and BillRun.objects.count() == 12
    assert Payment.objects.exists()
    assert Bill.objects.filter(status="open").exists()  # someone owes something
    assert all(bill_balance_check(b).ok for b in Bill.objects.all())
    assert JournalEntry.objects.filter(reference__startswith="billing:run:").count() == 12
    entries = JournalEntry.objects.count()
    assert seed_billing(estate=fees.estate) == 0 and JournalEntry.objects.count() == entries
