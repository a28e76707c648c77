"""A house's statement: every bill, adjustment, payment and prepayment movement in date order with the running
balance; staff read any house, a resident their own only (another house is 404)."""

from decimal import Decimal

import pytest

from gongzhi.billing.arrears import house_statement, my_statement_houses
from gongzhi.billing.models import Adjustment, Bill
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import NotFound

from .helpers import at, d, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(fees):
    house = fees.houses[0]
    jan = make_bill(house, ["260.70"], period_start=d("2026-01-01"), due_date=d("2026-01-31"),
                    issued_at=at(d("2026-01-01")))
    feb = make_bill(house, ["260.70"], period_start=d("2026-02-01"), due_date=d("2026-02-28"),
                    issued_at=at(d("2026-02-01")))
    Adjustment.objects.create(estate=fees.estate, bill=feb, amount=Decimal("-20.70"), reason="面积更正",
                              actor=fees.finance.user, created_at=at(d("2026-02-03")))
    Bill.objects.filter(pk=feb.pk).update(adjusted=Decimal("-20.70"))
    pay(fees.finance, house, "600.00", d("2026-02-10"))  # settles both (500.70), keeps 99.30 as prepayment
    return house, jan, feb


def test_the_statement_runs_the_balance_row_by_row(fees, history):
    house = history[0]
    statement = house_statement(actor=fees.finance, house_id=house.pk)
    rows = [(r.kind, r.debit, r.credit, r.balance, r.prepaid) for r in statement.rows]
    assert rows == [
        ("bill", Decimal("260.70"), Decimal("0"), Decimal("260.70"), Decimal("0")),
        ("bill", Decimal("260.70"), Decimal("0"), Decimal("521.40"), Decimal("0")),
        ("adjustment", Decimal("0"), Decimal("20.70"), Decimal("500.70"), Decimal("0")),
        ("payment", Decimal("0"), Decimal("600.00"), Decimal("-99.30"), Decimal("0")),
        ("deposit", Decimal("0"), Decimal("0"), Decimal("-99.30"), Decimal("99.30")),
    ]
    assert statement.rows[3].receipt_number
    assert (statement.closing_balance, statement.closing_prepaid, statement.outstanding) == (
        Decimal("-99.30"), Decimal("99.30"), Decimal("0.00"))


def test_a_date_range_opens_with_the_balance_before_it(fees, history):
    house, _jan, _feb = history
    statement = house_statement(actor=fees.finance, house_id=house.pk, date_from=d("2026-02-02"))
    assert statement.opening_balance == Decimal("521.40")
    assert [r.kind for r in statement.rows] == ["adjustment", "payment", "deposit"]


def test_a_resident_reads_their_own_houses_only(fees, history):
    house = history[0]
    assert house_statement(actor=fees.family, house_id=house.pk).closing_balance == Decimal("-99.30")
    assert [h.pk for h in my_statement_houses(actor=fees.owner)] == [fees.houses[0].pk, fees.houses[1].pk]
    for actor, house_id in [(fees.owner2, house.pk), (fees.tenant, house.pk), (fees.chair, house.pk),
                            (fees.finance, 987654)]:
        with pytest.raises(NotFound):
            house_statement(actor=actor, house_id=house_id)


def test_another_estates_house_is_not_found(fees, other_estate, actor_for):
    outsider = actor_for("finance", other_estate)
    with pytest.raises(NotFound):
        house_statement(actor=outsider, house_id=fees.houses[0].pk)
