"""Prepared values() queries return exactly what the ORM returns, with the database's own conversions."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.core.prepared import PreparedValues
from gongzhi.estate.models import House, Residency
from gongzhi.estate.tests.factories import HouseFactory, ResidencyFactory

pytestmark = pytest.mark.django_db


def houses_by_number(estate_id, number):
    return (House.objects.filter(estate_id=estate_id, number=number)
            .values("id", "building__name", "number", "area_m2", "developer_held", "updated_at").order_by("pk"))


def test_a_prepared_query_returns_what_the_orm_returns(estate):
    # given houses with decimals, booleans and datetimes, which SQLite returns raw and Django converts
    unit = HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate, number="1502",
                        area_m2=Decimal("118.50")).unit
    HouseFactory(estate=estate, unit=unit, building=unit.building, number="1602", area_m2=Decimal("96.05"),
                 developer_held=True)
    prepared = PreparedValues(houses_by_number, "estate_id", "number")

    # when the same query runs prepared, twice, with other parameters each time
    for number in ("1502", "1602", "9999"):
        rows = prepared(estate_id=estate.pk, number=number)

        # then it is what the ORM gives, value for value and type for type
        expected = list(houses_by_number(estate.pk, number))
        assert rows == expected
        assert [type(v) for r in rows for v in r.values()] == [type(v) for r in expected for v in r.values()]
    assert isinstance(prepared(estate_id=estate.pk, number="1502")[0]["area_m2"], Decimal)


def test_a_prepared_query_runs_one_query_and_compiles_once(estate):
    house = HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate)
    prepared = PreparedValues(houses_by_number, "estate_id", "number")
    prepared(estate_id=estate.pk, number=house.number)

    with CaptureQueriesContext(connection) as queries:
        assert prepared(estate_id=estate.pk, number=house.number)[0]["id"] == house.pk

    assert len(queries) == 1


def test_a_value_baked_into_the_shape_is_refused(estate):
    # today's date is not a declared parameter: re-running the SQL tomorrow would be wrong, so it is refused
    prepared = PreparedValues(lambda house_id: Residency.objects.current(on=timezone.localdate())
                              .filter(house_id=house_id).values("id"), "house_id")

    with pytest.raises(ValueError, match="not declared"):
        prepared(house_id=1)


def test_dates_convert_like_the_orm(estate):
    residency = ResidencyFactory(house__estate=estate, house__unit__estate=estate,
                                 house__unit__building__estate=estate, start_date=datetime.date(2024, 2, 29))
    prepared = PreparedValues(lambda house_id: Residency.objects.filter(house_id=house_id)
                              .values("start_date", "end_date", "share"), "house_id")

    assert prepared(house_id=residency.house_id) == [{"start_date": datetime.date(2024, 2, 29), "end_date": None,
                                                      "share": None}]
