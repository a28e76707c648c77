"""calc: a house's facts and the rules in, its bills with explained lines out (no database)."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.billing.calc import (
    Holding,
    HouseFacts,
    PayerRules,
    Tariff,
    payer_segments,
    price_tiers,
    span,
    tiers_of,
)
from gongzhi.billing.choices import DiscountKind, FeeKind, PayerKind
from gongzhi.billing.meters import Consumption, MeterSpan
from gongzhi.billing.models import Discount, FeeItem, FeeRule

D = datetime.date
RULES = PayerRules(tenant_pays=False, developer_name="开发商")
OWNER = Holding("owner", 1, "张三", True, D(2020, 1, 1), None)

PROPERTY = FeeItem(pk=1, code="property", name="物业费", kind=FeeKind.AREA, ledger_code="4001", sort_key=1)
GARBAGE = FeeItem(pk=2, code="garbage", name="垃圾费", kind=FeeKind.FIXED, ledger_code="4009", sort_key=2)
PARKING = FeeItem(pk=3, code="parking", name="车位费", kind=FeeKind.PARKING, ledger_code="4002", sort_key=3)
WATER = FeeItem(pk=4, code="water", name="水费", kind=FeeKind.METERED, meter_kind="water", ledger_code="4003",
                sort_key=4)
TIERS = [{"up_to": "10", "price": "3.50"}, {"up_to": None, "price": "4.20"}]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rule(pk, item, rate, start=D(2020, 1, 1), end=None, **kw) -> FeeRule:
    return FeeRule(pk=pk, fee_item=item, rate=Decimal(rate), effective_from=start, effective_to=end, **kw)


def house(area="100.00", **kw) -> HouseFacts:
    return HouseFacts(**{"id": 7, "code": "1-1-101", "kind": "residential", "area": Decimal(area), "status": "occupied",
                         "holdings": [OWNER], **kw})


def bills(rules, facts, start, end, discounts=(), payer_rules=RULES):
    return Tariff(rules=rules, discounts=discounts, start=start, end=end, payer_rules=payer_rules).bills(facts)


def water(spans) -> Consumption:
    ms = [MeterSpan(meter_id=i, serial=f"W{i}", from_value=Decimal(a), from_on=D(2026, 2, 28), from_reading_id=None,
                    to_value=Decimal(b), to_on=on, to_reading_id=100 + i) for i, (a, b, on) in enumerate(spans)]
    return Consumption(house_id=7, meter_kind="water", unit="m³", quantity=sum((s.quantity for s in ms), Decimal(0)),
                       from_value=ms[0].from_value, to_value=ms[-1].to_value, reading_id=ms[-1].to_reading_id,
                       reading_ids=tuple(s.to_reading_id for s in ms), spans=tuple(ms))


# --- table-driven cases: (name, rules, facts, period, expected bills [(payer key, [(amount, text in explanation)])])
CASES = [
    ("a whole month", [rule(10, PROPERTY, "2.20")], house("118.50"), (D(2026, 3, 1), D(2026, 3, 31)),
     [("person:1", [("260.70", "118.50 m² × 2.20 yuan/m²/month × 1 months = 260.70 yuan")])]),
    ("a rate change in mid-period: two lines, each with its days",
     [rule(10, PROPERTY, "2.20", end=D(2026, 3, 15)), rule(11, PROPERTY, "2.50", start=D(2026, 3, 16))],
     house(), (D(2026, 3, 1), D(2026, 3, 31)),
     [("person:1", [("106.45", "× 15/31 months = 106.45"), ("129.03", "× 16/31 months = 129.03")])]),
    ("a sale on the 17th: the seller pays 17 days, the buyer 13, one bill each", [rule(10, PROPERTY, "2.20")],
     house(holdings=[Holding("owner", 1, "卖方", True, D(2020, 1, 1), D(2026, 4, 17)),
                     Holding("owner", 2, "买方", True, D(2026, 4, 18), None)]),
     (D(2026, 4, 1), D(2026, 4, 30)),
     [("person:1", [("124.67", "× 17/30 months = 124.67")]), ("person:2", [("95.33", "× 13/30 months = 95.33")])]),
    ("a tenant who pays moves out on the 17th: the owner pays the rest", [rule(10, PROPERTY, "2.20")],
     house(holdings=[OWNER, Holding("tenant", 3, "租户", False, D(2025, 1, 1), D(2026, 4, 17))]),
     (D(2026, 4, 1), D(2026, 4, 30)),
     "tenant"),
    ("a leap February: a day is 1/29 of a month", [rule(10, PROPERTY, "2.20")],
     house(holdings=[Holding("owner", 1, "张三", True, D(2028, 2, 15), None)]), (D(2028, 2, 1), D(2028, 2, 29)),
     [("developer", [("106.21", "× 14/29 months = 106.21")]), ("person:1", [("113.79", "× 15/29 months")])]),
    ("a quarter is three whole months", [rule(10, PROPERTY, "2.20"), rule(20, GARBAGE, "15")], house("89.50"),
     (D(2026, 1, 1), D(2026, 3, 31)),
     [("person:1", [("590.70", "× 3 months = 590.70"), ("45.00", "15.00 yuan/month × 3 months = 45.00")])]),
    ("tiered water, the reading crossing the tier", [rule(40, WATER, "3.50", tiers=TIERS)],
     house(consumption={"water": water([("1234.0", "1246.4", D(2026, 3, 28))])}), (D(2026, 3, 1), D(2026, 3, 31)),
     [("person:1", [("45.08", "10.00 m³ × 3.50 + 2.40 m³ × 4.20 = 45.08 yuan")])]),
    ("a meter replaced mid-period: both meters' consumption, priced together",
     [rule(40, WATER, "3.50", tiers=TIERS)],
     house(consumption={"water": water([("1000", "1008", D(2026, 3, 12)), ("0", "4.4", D(2026, 3, 30))])}),
     (D(2026, 3, 1), D(2026, 3, 31)),
     [("person:1", [("45.08", "1000.00 → 1008.00 + 0.00 → 4.40: 10.00 m³ × 3.50 + 2.40 m³ × 4.20")])]),
    ("a co-owned house: one bill, to the representative", [rule(10, PROPERTY, "2.20")],
     house(holdings=[Holding("owner", 1, "张三", False, None, None), Holding("co_owner", 5, "李四", True, None, None)]),
     (D(2026, 3, 1), D(2026, 3, 31)), [("person:5", [("220.00", "")])]),
    ("a house the developer holds bills the developer", [rule(10, PROPERTY, "2.20")], house(developer_held=True),
     (D(2026, 3, 1), D(2026, 3, 31)), [("developer", [("220.00", "")])]),
    ("an unsold house with no owner bills the developer", [rule(10, PROPERTY, "2.20")],
     house(holdings=[], status="unsold"), (D(2026, 3, 1), D(2026, 3, 31)), [("developer", [("220.00", "")])]),
    ("parking: one line per space", [rule(30, PARKING, "150")], house(spaces=[("B1 017", "rented"), ("B1 018", "rented")]),
     (D(2026, 3, 1), D(2026, 3, 31)),
     [("person:1", [("150.00", "Space B1 017: 150.00 yuan/month"), ("150.00", "Space B1 018")])]),
    ("a rule for the house's kind beats the general one", [rule(10, PROPERTY, "2.20"),
                                                          rule(12, PROPERTY, "4.50", house_kind="commercial")],
     house(kind="commercial"), (D(2026, 3, 1), D(2026, 3, 31)), [("person:1", [("450.00", "4.50 yuan")])]),
    ("half up, never to even: 0.25 m² × 0.10 = 0.025 → 0.03", [rule(10, PROPERTY, "0.10")], house("0.25"),
     (D(2026, 3, 1), D(2026, 3, 31)), [("person:1", [("0.03", "= 0.03 yuan")])]),
]


@pytest.mark.parametrize(("name", "rules", "facts", "period", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case(name, rules, facts, period, expected):
    out = bills(rules, facts, *period)
    if expected == "tenant":  # the estate says tenants pay
        out = bills(rules, facts, *period, payer_rules=PayerRules(tenant_pays=True, developer_name="开发商"))
        expected = [("person:3", [("124.67", "× 17/30 months")]), ("person:1", [("95.33", "× 13/30 months")])]
        assert out[0].payer.kind == PayerKind.TENANT and out[1].payer.kind == PayerKind.OWNER
    assert [b.payer.key for b in out] == [key for key, _lines in expected]
    for bill, (_key, lines) in zip(out, expected, strict=True):
        assert [str(ln.amount) for ln in bill.lines] == [amount for amount, _text in lines]
        for ln, (_amount, text) in zip(bill.lines, lines, strict=True):
            assert text in ln.explanation
        assert bill.amount == sum(ln.amount for ln in bill.lines)


def test_a_sale_splits_the_days_exactly_and_says_which_days():
    facts = house(holdings=[Holding("owner", 1, "卖方", True, None, D(2026, 4, 17)),
                            Holding("owner", 2, "买方", True, D(2026, 4, 18), None)])
    seller, buyer = bills([rule(10, PROPERTY, "2.20")], facts, D(2026, 4, 1), D(2026, 4, 30))
    assert (seller.payer.start, seller.payer.end, buyer.payer.start) == (D(2026, 4, 1), D(2026, 4, 17), D(2026, 4, 18))
    assert seller.lines[0].description == "物业费 (2026-04-01 to 2026-04-17)"
    assert seller.lines[0].basis["days"] == 17 and buyer.lines[0].basis["days"] == 13


def test_a_vacant_house_gets_its_discount_as_a_line_of_its_own():
    vacant = Discount(pk=50, kind=DiscountKind.VACANT, fee_item_id=1, percent=Decimal("30"),
                      effective_from=D(2020, 1, 1))
    (bill,) = bills([rule(10, PROPERTY, "2.20"), rule(20, GARBAGE, "15")], house("118.50", status="vacant"),
                    D(2026, 3, 1), D(2026, 3, 31), discounts=[vacant])
    assert [str(ln.amount) for ln in bill.lines] == ["260.70", "-78.21", "15.00"]
    assert "30.00% of 260.70 yuan = −78.21 yuan" in bill.lines[1].explanation
    assert bill.lines[1].ledger_code == "4001" and bill.amount == Decimal("197.49")


def test_an_exemption_applies_to_its_house_only():
    exempt = Discount(pk=51, kind=DiscountKind.EXEMPTION, house_id=7, percent=Decimal("100"),
                      effective_from=D(2020, 1, 1))
    (mine,) = bills([rule(10, PROPERTY, "2.20")], house(), D(2026, 3, 1), D(2026, 3, 31), discounts=[exempt])
    (other,) = bills([rule(10, PROPERTY, "2.20")], house(id=8), D(2026, 3, 1), D(2026, 3, 31), discounts=[exempt])
    assert mine.amount == 0 and other.amount == Decimal("220.00")


def test_no_rule_no_bill():
    assert bills([rule(10, PROPERTY, "2.20", start=D(2027, 1, 1))], house(), D(2026, 3, 1), D(2026, 3, 31)) == []


def test_months_are_counted_per_calendar_month():
    assert span(D(2026, 1, 15), D(2026, 3, 10)).label == "17/31 + 1 + 10/31"
    assert span(D(2026, 1, 15), D(2026, 3, 10)).months == Fraction(17, 31) + 1 + Fraction(10, 31)
    assert span(D(2028, 2, 1), D(2028, 2, 29)).label == "1"
    assert span(D(2026, 1, 1), D(2026, 12, 31)).months == 12


def test_tiers_split_at_their_bounds():
    tiers = tiers_of(rule(40, WATER, "0", tiers=[{"up_to": "10", "price": "3.50"}, {"up_to": "20", "price": "4.20"},
                                                 {"up_to": None, "price": "5.00"}]))
    assert price_tiers(Decimal("25"), tiers) == [(Decimal("10"), Decimal("3.50")), (Decimal("10"), Decimal("4.20")),
                                                 (Decimal("5"), Decimal("5.00"))]
    assert price_tiers(Decimal("10"), tiers) == [(Decimal("10"), Decimal("3.50"))]
    assert price_tiers(Decimal("0"), tiers) == [(Decimal("0"), Decimal("3.50"))]
    assert tiers_of(rule(41, WATER, "2.80"))[0].price == Decimal("2.80")


def test_days_without_an_owner_on_record_are_the_developers():
    segs = payer_segments(holdings=[Holding("owner", 1, "张三", True, D(2026, 3, 10), None)], start=D(2026, 3, 1),
                          end=D(2026, 3, 31), rules=RULES)
    assert [(p.key, p.days) for p in segs] == [("developer", 9), ("person:1", 22)]


@settings(max_examples=300, deadline=None)
@given(area=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
       rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("99.9999"), places=4),
       first=st.integers(min_value=1, max_value=29), change=st.integers(min_value=2, max_value=29),
       month=st.integers(min_value=1, max_value=12), year=st.sampled_from([2026, 2028]))
def test_every_line_is_rounded_half_up_and_the_bill_is_the_sum_of_its_lines(area, rate, first, change, month, year):
    start = D(year, month, 1)
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    change_on = D(year, month, min(change, end.day))
    move_in = D(year, month, min(first, end.day))
    rules = [rule(10, PROPERTY, str(rate), end=change_on - datetime.timedelta(days=1)),
             rule(11, PROPERTY, str(rate + Decimal("0.5")), start=change_on), rule(20, GARBAGE, str(rate))]
    facts = house(str(area), holdings=[Holding("owner", 1, "张三", True, move_in, None)])
    dim = end.day
    for bill in bills(rules, facts, start, end):
        assert bill.amount == sum(ln.amount for ln in bill.lines)
        for ln in bill.lines:
            assert ln.amount == ln.amount.quantize(Decimal("0.01"))
            days = ln.basis["days"]
            base = Fraction(area) * Fraction(Decimal(ln.basis["rate"])) if ln.basis["kind"] == FeeKind.AREA \
                else Fraction(Decimal(ln.basis["rate"]))
            exact = base * Fraction(days, dim)
            # half up: the exact amount rounded to the fen, .5 away from zero
            assert ln.amount == Decimal((exact * 100 * 2 + 1).__floor__() // 2).scaleb(-2)
