"""Stories of the fee-rule, discount, meter and reading services at their boundaries."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.billing.meters import meter_install, meter_replace, reading_correct, reading_record
from gongzhi.billing.models import FeeRule, MeterReading
from gongzhi.billing.rules import (
    discount_create,
    discount_end,
    fee_item_create,
    fee_rule_create,
    fee_rule_end,
)
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import AuditEntry

from .helpers import bill_reading

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def item(fees):
    return fee_item_create(actor=fees.finance, code="property", name="物业费", kind="area", rate="2.20",
                           effective_from=D(2026, 1, 1))


def test_a_new_rate_ends_the_open_rule_the_day_before_and_is_audited(fees, item):
    new = fee_rule_create(actor=fees.manager, fee_item=item, rate="2.50", effective_from=D(2026, 7, 1))
    old = FeeRule.objects.exclude(pk=new.pk).get()
    assert (old.effective_to, new.effective_to) == (D(2026, 6, 30), None)
    assert AuditEntry.objects.filter(action="billing.fee_rule_end", object_id=str(old.pk)).exists()
    # the same rule again is taken once
    assert fee_rule_create(actor=fees.manager, fee_item=item, rate="2.50", effective_from=D(2026, 7, 1)).pk == new.pk


@pytest.mark.parametrize("start, end", [(D(2026, 7, 1), None), (D(2025, 12, 1), D(2026, 1, 1)),
                                        (D(2026, 3, 1), D(2026, 3, 31))])
def test_overlaps_are_refused(fees, item, start, end):
    fee_rule_create(actor=fees.finance, fee_item=item, rate="2.50", effective_from=D(2026, 7, 1))
    with pytest.raises(Conflict) as caught:
        fee_rule_create(actor=fees.finance, fee_item=item, rate="9", effective_from=start, effective_to=end)
    assert caught.value.code == "fee_rule_overlap"
    assert FeeRule.objects.count() == 2


def test_a_rule_for_another_house_kind_does_not_overlap(fees, item):
    fee_rule_create(actor=fees.finance, fee_item=item, rate="3.80", house_kind="commercial",
                    effective_from=D(2026, 1, 1))
    assert FeeRule.objects.count() == 2


@pytest.mark.parametrize("rate, reason", [("-1", "negative"), ("100000.0001", "larger"), ("1.23456", "four"),
                                          ("abc", "not a number")])
def test_absurd_rates_are_refused(fees, item, rate, reason):
    with pytest.raises(DomainError) as caught:
        fee_rule_create(actor=fees.finance, fee_item=item, rate=rate, effective_from=D(2027, 1, 1))
    assert caught.value.detail["field"] == "rate" and reason in caught.value.text("en")


def test_the_largest_rate_is_accepted(fees, item):
    assert fee_rule_create(actor=fees.finance, fee_item=item, rate="100000", effective_from=D(2027, 1, 1)).rate == 100000


@pytest.mark.parametrize("tiers, reason", [
    ([{"up_to": "10", "price": "3"}, {"up_to": "5", "price": "4"}, {"up_to": None, "price": "5"}], "ascending"),
    ([{"up_to": "10", "price": "3"}], "open-ended"),
    ([{"up_to": None, "price": "3"}, {"up_to": None, "price": "4"}], "only the last"),
    ([{"up_to": "10", "price": "-3"}, {"up_to": None, "price": "4"}], "negative"),
    ([{"up_to": str(n), "price": "1"} for n in range(1, 11)] + [{"up_to": None, "price": "1"}], "at most 10"),
])
def test_bad_tiers_are_refused(fees, tiers, reason):
    water = fee_item_create(actor=fees.finance, code="water", name="水费", kind="metered", meter_kind="water")
    with pytest.raises(DomainError) as caught:
        fee_rule_create(actor=fees.finance, fee_item=water, rate="3", tiers=tiers, effective_from=D(2026, 1, 1))
    assert reason in caught.value.text("en")


def test_ten_tiers_are_accepted_and_only_metered_items_have_tiers(fees, item):
    water = fee_item_create(actor=fees.finance, code="water", name="水费", kind="metered", meter_kind="water")
    tiers = [{"up_to": str(n * 10), "price": "1"} for n in range(1, 10)] + [{"up_to": None, "price": "2"}]
    assert len(fee_rule_create(actor=fees.finance, fee_item=water, rate="1", tiers=tiers,
                               effective_from=D(2026, 1, 1)).tiers) == 10
    with pytest.raises(DomainError):
        fee_rule_create(actor=fees.finance, fee_item=item, rate="1", tiers=tiers[-2:], effective_from=D(2027, 1, 1))


def test_one_off_items_keep_their_default_amount_and_book_to_deposit_or_other(fees):
    deposit = fee_item_create(actor=fees.finance, code="decoration-deposit", name="装修押金", kind="one_off",
                              ledger_code="2202", rate="2000", effective_from=D(2026, 1, 1))
    repair = fee_item_create(actor=fees.finance, code="repair", name="有偿维修", kind="one_off")
    assert (deposit.ledger_code, deposit.rules.get().rate, repair.ledger_code) == ("2202", 2000, "4009")
    with pytest.raises(DomainError):
        fee_item_create(actor=fees.finance, code="x", name="x", kind="area", ledger_code="2202")
    with pytest.raises(Conflict):
        fee_item_create(actor=fees.finance, code="repair", name="again", kind="one_off")


def test_residents_and_technicians_cannot_change_rules(fees, item):
    for actor in (fees.owner, fees.technician, fees.chair):
        with pytest.raises(Forbidden):
            fee_rule_create(actor=actor, fee_item=item, rate="1", effective_from=D(2027, 1, 1))


def test_ending_a_rule_and_a_discount(fees, item):
    rule = item.rules.get()
    with pytest.raises(DomainError):
        fee_rule_end(actor=fees.finance, rule=rule, effective_to=D(2025, 12, 31))
    assert fee_rule_end(actor=fees.finance, rule=rule, effective_to=D(2026, 1, 1)).effective_to == D(2026, 1, 1)
    vacant = discount_create(actor=fees.finance, kind="vacant", percent="50", effective_from=D(2026, 1, 1))
    assert discount_end(actor=fees.finance, discount=vacant, effective_to=D(2026, 3, 31)).effective_to == D(2026, 3, 31)


@pytest.mark.parametrize("fields, field", [
    ({"kind": "vacant", "percent": "0"}, "percent"), ({"kind": "vacant", "percent": "100.01"}, "percent"),
    ({"kind": "exemption", "percent": "100", "reason": "x"}, "house"),
    ({"kind": "prepayment", "percent": "5"}, "months"), ({"kind": "vacant", "percent": "5", "months": 3}, "months"),
])
def test_discount_validation(fees, fields, field):
    with pytest.raises(DomainError) as caught:
        discount_create(actor=fees.finance, effective_from=D(2026, 1, 1), **fields)
    assert caught.value.detail["field"] == field


def test_a_full_exemption_is_accepted(fees):
    assert discount_create(actor=fees.finance, kind="exemption", percent="100", house=fees.houses[0],
                           reason="低保户", effective_from=D(2026, 1, 1)).percent == 100


# --- meters and readings -----------------------------------------------------------------------------------------
@pytest.fixture
def meter(fees):
    meter = meter_install(actor=fees.finance, house=fees.houses[0], kind="electricity", installed_on=D(2025, 1, 1),
                          initial_reading="1000")
    reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 10, 31), value="1300")
    return meter


def test_a_reading_lower_than_the_last_is_refused_with_both_figures(fees, meter):
    with pytest.raises(DomainError) as caught:
        reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 11, 30), value="1234.5")
    assert caught.value.text("en") == "value: reading 1234.5 is lower than the last one, 1300.0 on 2025-10-31"


def test_a_reading_dated_before_the_last_or_in_the_future_is_refused(fees, meter):
    with pytest.raises(DomainError) as caught:
        reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 10, 30), value="1400")
    assert caught.value.detail["field"] == "read_on"
    with pytest.raises(DomainError):
        reading_record(actor=fees.technician, meter=meter, read_on=timezone.localdate() + datetime.timedelta(days=1),
                       value="1400")
    assert reading_record(actor=fees.technician, meter=meter, read_on=timezone.localdate(), value="1400")


def test_a_jump_is_refused_at_the_limit_plus_one(fees, meter):
    with pytest.raises(DomainError) as caught:
        reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 11, 30), value="6300.0001")
    assert "5000.0 kWh" in caught.value.text("en")
    assert reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 11, 30), value="6300")


def test_the_same_reading_again_is_taken_once_and_another_value_that_day_is_409(fees, meter):
    first = MeterReading.objects.get()
    assert reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="1300.0").pk == first.pk
    with pytest.raises(Conflict) as caught:
        reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="1301")
    assert caught.value.code == "reading_exists"


def test_a_reading_is_corrected_until_it_is_billed(fees, meter):
    reading = MeterReading.objects.get()
    corrected = reading_correct(actor=fees.finance, reading=reading, value="1290", note="看错")
    assert corrected.value == Decimal("1290")
    assert AuditEntry.objects.filter(action="billing.reading_correct").get().before["value"] == "1300.0000"
    later = reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 11, 30), value="1350")
    with pytest.raises(DomainError):  # would be above the next reading
        reading_correct(actor=fees.finance, reading=reading, value="1360")
    bill_reading(later)
    for billed in (reading, later):  # the billed one, and one before it (the bill started from it)
        with pytest.raises(Conflict) as caught:
            reading_correct(actor=fees.finance, reading=billed, value="1320")
        assert caught.value.code == "reading_billed"


def test_a_second_meter_of_a_kind_is_refused_and_a_replacement_checks_the_final_reading(fees, meter):
    with pytest.raises(Conflict):
        meter_install(actor=fees.finance, house=fees.houses[0], kind="electricity", installed_on=D(2025, 6, 1),
                      initial_reading="0")
    with pytest.raises(DomainError):
        meter_replace(actor=fees.finance, meter=meter, replaced_on=D(2025, 11, 15), final_reading="1200",
                      initial_reading="0")
    new = meter_replace(actor=fees.finance, meter=meter, replaced_on=D(2025, 11, 15), final_reading="1350",
                        initial_reading="0", serial="E2")
    meter.refresh_from_db()
    assert (meter.removed_on, meter.final_reading, new.replaces_id) == (D(2025, 11, 15), 1350, meter.pk)
    again = meter_replace(actor=fees.finance, meter=meter, replaced_on=D(2025, 11, 15), final_reading="1350",
                          initial_reading="0", serial="E2")
    assert again.pk == new.pk
    with pytest.raises(DomainError):  # the old meter is gone after its removal
        reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 11, 20), value="1360")
    with pytest.raises(Forbidden):
        meter_replace(actor=fees.technician, meter=new, replaced_on=D(2025, 11, 20), final_reading="1",
                      initial_reading="0")


def test_the_estate_sets_its_own_jump_limit_by_meter_kind(fees, meter):
    """Given an estate whose rule allows at most 100 kWh between two readings, when 101 more is read, it is refused;
    100 more is taken."""
    estate = fees.estate
    estate.rule_overrides = {**estate.rule_overrides, "fees.reading_max_jump": {"electricity": "100"}}
    estate.save()
    meter.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 11, 30), value="1401")
    assert "100.0 kWh" in caught.value.text("en")
    assert reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 11, 30), value="1400")
