"""Stories of importing a round of readings from a workbook: all or nothing, every problem by row and column."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from gongzhi.billing.meters import meter_install, reading_record
from gongzhi.billing.models import MeterReading
from gongzhi.billing.readings_import import readings_import, template_workbook
from gongzhi.core.errors import Forbidden

from .helpers import workbook

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def meters(fees):
    made = {}
    for house in fees.houses[:2]:
        made[house.pk] = meter_install(actor=fees.finance, house=house, kind="water", installed_on=D(2025, 1, 1),
                                       initial_reading="1000")
    reading_record(actor=fees.finance, meter=made[fees.houses[0].pk], read_on=D(2025, 10, 31), value="1150")
    return made


def test_a_good_file_records_every_reading_and_again_records_nothing(fees, meters):
    data = workbook([("1", "1", "101", "水", 1310.5, D(2025, 11, 30)), ("1栋", "1单元", "102室", "water", "1020",
                                                                        "2025/11/30")])
    report = readings_import(actor=fees.finance, filename="11月.xlsx", data=data)
    assert report.ok and report.written and (report.rows, report.created, report.unchanged) == (2, 2, 0)
    values = dict(MeterReading.objects.filter(read_on=D(2025, 11, 30)).values_list("house_id", "value"))
    assert values == {fees.houses[0].pk: Decimal("1310.5"), fees.houses[1].pk: Decimal("1020")}
    again = readings_import(actor=fees.finance, filename="11月.xlsx", data=data)
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert MeterReading.objects.count() == 3


def test_english_headers_are_read_too(fees, meters):
    data = workbook([("1", "1", "102", "Water", "1005", "2025-11-30")],
                    header=("Building", "Unit", "House number", "Meter kind", "Reading", "Date"))
    assert readings_import(actor=fees.finance, filename="r.xlsx", data=data).created == 1


def test_a_lower_reading_names_its_row_and_column_and_nothing_is_written(fees, meters):
    data = workbook([("1", "1", "102", "水", "1010", "2025-11-30"),
                     ("1", "1", "101", "水", "1134.5", "2025-11-30")])
    report = readings_import(actor=fees.finance, filename="r.xlsx", data=data)
    assert not report.ok
    [error] = report.errors
    assert (error.row, error.column) == (3, "读数")
    assert error.reason_en == "reading 1134.5 is lower than the last one, 1150.0 on 2025-10-31"
    assert report.as_dict()["errors"][0]["message_zh"].startswith("第 3 行 “读数”: ")
    assert MeterReading.objects.count() == 1  # the good first row was not written either


def test_every_bad_cell_is_reported(fees, meters):
    data = workbook([
        ("1", "1", "999", "水", "1", "2025-11-30"),      # no such house
        ("1", "1", "102", "暖气", "1", "2025-11-30"),    # not a meter kind
        ("1", "1", "102", "水", "abc", "2025-11-30"),    # not a number
        ("1", "1", "102", "水", "1001", "明天"),           # not a date
        ("1", "1", "102", "水", "1001", D.today() + datetime.timedelta(days=3)),  # future
        ("1", "1", "101", "水", "1900", "2025-11-30"),   # a jump of 600 m³
        ("2", "1", "101", "电", "5", "2025-11-30"),      # no electricity meter there
    ])
    report = readings_import(actor=fees.finance, filename="r.xlsx", data=data)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "房号"), (3, "表类型"), (4, "读数"), (5, "抄表日期"), (6, "抄表日期"), (7, "读数"), (8, "表类型")]
    assert "more than 200.0 m³ in one reading" in report.errors[5].reason_en
    assert MeterReading.objects.count() == 1


def test_two_rows_for_one_meter_are_checked_in_date_order(fees, meters):
    data = workbook([("1", "1", "101", "水", "1320", "2025-12-31"), ("1", "1", "101", "水", "1310", "2025-11-30"),
                     ("1", "1", "102", "水", "1010", "2025-11-30"), ("1", "1", "102", "水", "1011", "2025-11-30")])
    report = readings_import(actor=fees.finance, filename="r.xlsx", data=data)
    assert [(e.row, e.column) for e in report.errors] == [(5, "读数")]
    ok = workbook([("1", "1", "101", "水", "1320", "2025-12-31"), ("1", "1", "101", "水", "1310", "2025-11-30")])
    assert readings_import(actor=fees.finance, filename="r.xlsx", data=ok).created == 2


def test_a_missing_column_and_a_file_that_is_not_a_workbook(fees, meters):
    report = readings_import(actor=fees.finance, filename="r.xlsx", data=workbook([], header=("楼栋", "房号")))
    assert {e.column for e in report.errors} >= {"单元 Unit", "读数 Reading"}
    assert not readings_import(actor=fees.finance, filename="r.xlsx", data=b"not a zip").ok


def test_a_dry_run_writes_nothing(fees, meters):
    data = workbook([("1", "1", "102", "水", "1010", "2025-11-30")])
    report = readings_import(actor=fees.finance, filename="r.xlsx", data=data, dry_run=True)
    assert report.ok and not report.written and report.preview[0]["value"] == Decimal("1010")
    assert MeterReading.objects.count() == 1


def test_the_template_imports_as_it_is_after_its_example_row_is_filled(fees, meters):
    book = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["楼栋 Building", "单元 Unit"]
    for position, value in enumerate(["1", "1", "102", "水", "1010", "2025-11-30"], start=1):
        sheet.cell(row=2, column=position, value=value)
    out = io.BytesIO()
    book.save(out)
    assert readings_import(actor=fees.finance, filename="t.xlsx", data=out.getvalue()).created == 1


def test_only_finance_and_the_manager_import(fees, meters):
    with pytest.raises(Forbidden):
        readings_import(actor=fees.technician, filename="r.xlsx", data=workbook([]))
