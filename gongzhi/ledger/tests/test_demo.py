"""The demo books: a year of operations through the services, every ended month closed, the chain intact."""

import datetime

import pytest

from gongzhi.ledger import demo, services
from gongzhi.ledger.choices import EntryKind, ExpenseStatus, FundProjectStatus
from gongzhi.ledger.models import Checkpoint, ExpenseRequest, FundProject, JournalEntry

pytestmark = pytest.mark.django_db


def test_the_demo_books_hold_a_year_and_seed_once(books, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = datetime.date.today()
    posted = demo.seed_ledger(estate=books.estate)
    assert posted == JournalEntry.objects.filter(estate=books.estate).count() > 100
    kinds = set(JournalEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.FUND_DEPOSIT, EntryKind.EXPENSE, EntryKind.PUBLIC_REVENUE, EntryKind.PUBLIC_REVENUE_COST,
            EntryKind.PUBLIC_REVENUE_USE, EntryKind.FUND_INTEREST, EntryKind.FUND_USE, EntryKind.FEE_PAYMENT} <= kinds
    projects = {p.emergency: p for p in FundProject.objects.all()}
    assert projects[False].status == projects[True].status == FundProjectStatus.COMPLETED
    assert ExpenseRequest.objects.filter(status=ExpenseStatus.PENDING).count() == 1
    # Every ended month is closed, in order, and nothing later than last month.
    assert Checkpoint.objects.count() == 12
    assert services.closed_through(books.estate) == today.replace(day=1) - datetime.timedelta(days=1)
    assert demo.seed_ledger(estate=books.estate) == 0
