"""Stories of ``consumption``: what the bill run prices a house's water (or power, or gas) from."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.meters import consumption, meter_install, meter_replace, reading_record
from gongzhi.billing.models import MeterReading

from .helpers import bill_reading

pytestmark = pytest.mark.django_db
D = datetime.date
OCTOBER, NOVEMBER = (D(2025, 10, 1), D(2025, 10, 31)), (D(2025, 11, 1), D(2025, 11, 30))


def water(fees, house, initial="100", on=D(2025, 1, 1)):
    return meter_install(actor=fees.finance, house=house, kind="water", installed_on=on, initial_reading=initial,
                         serial=f"W-{house.pk}")


def test_the_first_period_counts_from_the_initial_reading(fees, django_assert_num_queries):
    meter = water(fees, fees.houses[0])
    reading = reading_record(actor=fees.technician, meter=meter, read_on=D(2025, 10, 31), value="112.5")
    with django_assert_num_queries(2):
        found = consumption(estate=fees.estate, meter_kind="water", start=OCTOBER[0], end=OCTOBER[1])
    c = found[fees.houses[0].pk]
    assert (c.quantity, c.from_value, c.to_value, c.reading_id, c.unit) == (
        Decimal("12.5"), Decimal("100"), Decimal("112.5"), reading.pk, "m³")
    assert c.reading_ids == (reading.pk,)


def test_the_next_period_counts_from_the_last_billed_reading_and_uses_the_last_reading_in_it(fees):
    meter = water(fees, fees.houses[0])
    october = reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="112.5")
    bill_reading(october)
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 11, 15), value="118")
    last = reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 11, 30), value="121.25")
    c = consumption(estate=fees.estate, meter_kind="water", start=NOVEMBER[0], end=NOVEMBER[1])[fees.houses[0].pk]
    assert (c.quantity, c.from_value, c.to_value, c.reading_id) == (
        Decimal("8.75"), Decimal("112.5"), Decimal("121.25"), last.pk)
    assert c.spans[0].from_reading_id == october.pk


def test_a_reading_no_bill_took_is_billed_with_the_next_one(fees):
    """October's reading came in after October's run: November counts from the last BILLED reading."""
    meter = water(fees, fees.houses[0])
    september = reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 9, 30), value="105")
    bill_reading(september)
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="112.5")
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 11, 30), value="120")
    c = consumption(estate=fees.estate, meter_kind="water", start=NOVEMBER[0], end=NOVEMBER[1])[fees.houses[0].pk]
    assert (c.from_value, c.to_value, c.quantity) == (Decimal("105"), Decimal("120"), Decimal("15"))


def test_no_reading_in_the_period_means_no_line(fees):
    meter = water(fees, fees.houses[0])
    reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="112.5")
    water(fees, fees.houses[1])
    assert consumption(estate=fees.estate, meter_kind="water", start=NOVEMBER[0], end=NOVEMBER[1]) == {}
    assert set(consumption(estate=fees.estate, meter_kind="water", start=OCTOBER[0], end=OCTOBER[1])) == {
        fees.houses[0].pk}
    assert consumption(estate=fees.estate, meter_kind="electricity", start=OCTOBER[0], end=OCTOBER[1]) == {}


def test_a_meter_replaced_mid_period_sums_both_meters(fees):
    """Given October billed at 1300, the meter replaced on 15 November at 1350 with a new one from 0, read 20 on
    30 November: November's consumption is 50 + 20 = 70, not 20 − 1300."""
    meter = meter_install(actor=fees.finance, house=fees.houses[1], kind="electricity", installed_on=D(2025, 1, 1),
                          initial_reading="1000")
    bill_reading(reading_record(actor=fees.finance, meter=meter, read_on=D(2025, 10, 31), value="1300"))
    new = meter_replace(actor=fees.finance, meter=meter, replaced_on=D(2025, 11, 15), final_reading="1350",
                        initial_reading="0", serial="E-NEW")
    last = reading_record(actor=fees.finance, meter=new, read_on=D(2025, 11, 30), value="20")
    c = consumption(estate=fees.estate, meter_kind="electricity", start=NOVEMBER[0],
                    end=NOVEMBER[1])[fees.houses[1].pk]
    assert c.quantity == Decimal("70")
    assert (c.from_value, c.to_value, c.reading_id, c.unit) == (Decimal("1300"), Decimal("20"), last.pk, "kWh")
    assert [(s.from_value, s.to_value) for s in c.spans] == [(Decimal("1300"), Decimal("1350")),
                                                             (Decimal("0"), Decimal("20"))]
    assert len(c.reading_ids) == 2
    # December, after November was billed on the new meter's reading: only the new meter counts
    bill_reading(last)
    reading_record(actor=fees.finance, meter=new, read_on=D(2025, 12, 31), value="55")
    december = consumption(estate=fees.estate, meter_kind="electricity", start=D(2025, 12, 1), end=D(2025, 12, 31))
    assert december[fees.houses[1].pk].quantity == Decimal("35")


def test_a_meter_replaced_on_the_last_day_is_billed_on_the_old_meter_then_the_new_one(fees):
    meter = water(fees, fees.houses[0], initial="10")
    new = meter_replace(actor=fees.finance, meter=meter, replaced_on=D(2025, 11, 30), final_reading="25",
                        initial_reading="3")
    c = consumption(estate=fees.estate, meter_kind="water", start=NOVEMBER[0], end=NOVEMBER[1])[fees.houses[0].pk]
    assert c.quantity == Decimal("15")
    bill_reading(MeterReading.objects.get(pk=c.reading_id))
    reading_record(actor=fees.finance, meter=new, read_on=D(2025, 12, 31), value="9")
    december = consumption(estate=fees.estate, meter_kind="water", start=D(2025, 12, 1), end=D(2025, 12, 31))
    assert december[fees.houses[0].pk].quantity == Decimal("6")


def test_another_estates_readings_are_not_counted(fees, other_estate, actor_for):
    from gongzhi.estate.tests.factories import BuildingFactory, HouseFactory, UnitFactory

    other_house = HouseFactory(unit=UnitFactory(building=BuildingFactory(estate=other_estate, name="9")), number="1")
    other = actor_for("finance", other_estate)
    meter = meter_install(actor=other, house=other_house, kind="water", installed_on=D(2025, 1, 1),
                          initial_reading="0")
    reading_record(actor=other, meter=meter, read_on=D(2025, 10, 31), value="5")
    assert consumption(estate=fees.estate, meter_kind="water", start=OCTOBER[0], end=OCTOBER[1]) == {}
