"""Every kind of bad file gets a clear, row-level report, and nothing at all is written."""

import io
import zipfile
from decimal import Decimal

import pytest

from gongzhi.core.models import AuditEntry
from gongzhi.estate.importing import import_registry
from gongzhi.estate.tests.factories import (
    HouseFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)

from .conftest import (
    HOUSE_HEADERS,
    RESIDENT_HEADERS,
    VEHICLE_HEADERS,
    csv_bytes,
    house_row,
    registry_counts,
    resident_row,
    vehicle_row,
    xlsx,
)

HOUSES = "房屋 houses"
RESIDENTS = "住户 residents"
VEHICLES = "车辆 vehicles"


@pytest.fixture
def rejected(manager):
    """rejected(filename, data, **options) → the report of an import that must write nothing."""

    def run(filename: str, data: bytes, **options):
        before = registry_counts(), AuditEntry.objects.count()
        report = import_registry(actor=manager, filename=filename, data=data, **options)
        assert not report.ok
        assert report.errors and report.error_total >= len(report.errors)
        assert (registry_counts(), AuditEntry.objects.count()) == before, "a rejected file wrote something"
        for error in report.errors:
            assert error.reason_en and error.reason_zh
        return report

    return run


def problem(report, *, sheet=None, row=None, column=None):
    """The one reported problem at that place."""
    found = [e for e in report.errors if (sheet is None or e.sheet == sheet) and (row is None or e.row == row)
             and (column is None or e.column == column)]
    assert len(found) == 1, f"expected one problem at {sheet}/{row}/{column}, got {report.errors}"
    return found[0]


# --- the file itself ------------------------------------------------------------------------------------------


def test_a_non_spreadsheet_renamed_to_xlsx_is_refused(rejected):
    # given a PDF and a plain text file named .xlsx, and a zip that holds no workbook
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    for data in (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "楼栋,单元\n3,2\n".encode(), archive.getvalue()):
        # when it is imported
        report = rejected("registry.xlsx", data)
        # then the report says it is not a workbook
        assert len(report.errors) == 1
        assert "not an Excel .xlsx workbook" in report.errors[0].reason_en


def test_a_damaged_workbook_is_refused(rejected):
    # given a real workbook cut short, and one whose sheet XML is broken
    good = xlsx({HOUSES: [HOUSE_HEADERS, house_row()]})
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            dst.writestr(item, content.replace(b"</sheetData>", b"") if "worksheets/" in item.filename else content)
    for data in (good[: len(good) // 2], broken.getvalue()):
        report = rejected("registry.xlsx", data)
        assert len(report.errors) == 1
        assert "not an Excel .xlsx workbook" in report.errors[0].reason_en \
            or "cannot be read" in report.errors[0].reason_en


@pytest.mark.parametrize("filename", ["registry.xlsx", "registry.csv"])
def test_an_empty_file_is_refused(rejected, filename):
    report = rejected(filename, b"")
    assert report.errors[0].reason_en == "The file is empty."


def test_a_file_of_another_type_is_refused(rejected):
    report = rejected("registry.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert "Only .xlsx workbooks and .csv files" in report.errors[0].reason_en


@pytest.mark.parametrize("data", [
    xlsx({HOUSES: [HOUSE_HEADERS], RESIDENTS: [RESIDENT_HEADERS]}),
    csv_bytes([RESIDENT_HEADERS]),
])
def test_headers_without_rows_are_refused(rejected, data):
    filename = "registry.csv" if data.startswith(b"\xef\xbb\xbf") else "registry.xlsx"
    report = rejected(filename, data)
    assert "headers but no rows" in report.errors[0].reason_en


def test_a_workbook_with_no_registry_sheet_is_refused(rejected):
    report = rejected("registry.xlsx", xlsx({"Sheet1": [["姓名", "年龄"], ["张三", 30]]}))
    assert "Cannot tell what this sheet holds" in problem(report, sheet="Sheet1", row=1).reason_en


def test_an_oversized_file_is_refused(rejected, settings):
    settings.IMPORT_MAX_BYTES = 2048
    data = csv_bytes([HOUSE_HEADERS] + [house_row(number=str(1000 + i)) for i in range(100)])
    assert len(data) > 2048
    report = rejected("registry.csv", data)
    assert "too large" in report.errors[0].reason_en
    # and the API and the page read no more than the limit: the real size is still named
    report = rejected("registry.csv", data[:2049], size=5 * 1024 * 1024)
    assert "5.0 MB" in report.errors[0].reason_en


def test_too_many_rows_are_refused(rejected, settings):
    settings.IMPORT_MAX_ROWS = 3
    data = xlsx({HOUSES: [HOUSE_HEADERS] + [house_row(number=str(1000 + i)) for i in range(4)]})
    report = rejected("registry.xlsx", data)
    error = problem(report, sheet=HOUSES, row=5)
    assert "more than 3 rows" in error.reason_en


def test_a_zip_bomb_is_refused_before_it_is_unpacked(rejected, settings):
    # given a small workbook whose sheet expands to 64 MB of padding
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
    good = xlsx({HOUSES: [HOUSE_HEADERS, house_row()]})
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    report = rejected("registry.xlsx", bomb.getvalue())
    assert "expands to 64." in report.errors[0].reason_en


def test_unreadable_csv_is_refused(rejected):
    report = rejected("registry.csv", b"\x00\x01\x02binary\x00")
    assert "not a text .csv" in report.errors[0].reason_en
    report = rejected("registry.csv", xlsx({HOUSES: [HOUSE_HEADERS, house_row()]}))
    assert "name it .xlsx" in report.errors[0].reason_en


# --- headers --------------------------------------------------------------------------------------------------


def test_a_missing_column_names_the_expected_header(rejected):
    headers = [h for h in HOUSE_HEADERS if not h.startswith("建筑面积")]
    rows = [house_row()[:5] + house_row()[6:]]
    report = rejected("registry.xlsx", xlsx({HOUSES: [headers, *rows]}))
    error = problem(report, sheet=HOUSES, row=1, column="建筑面积 building area (m²)")
    assert "“建筑面积 building area (m²)”" in error.reason_en


def test_a_renamed_column_is_reported_with_the_expected_headers(rejected):
    headers = ["楼号码", *HOUSE_HEADERS[1:]]
    report = rejected("registry.csv", csv_bytes([headers, house_row()]))
    assert "Unknown column" in problem(report, row=1, column="楼号码").reason_en
    assert "楼栋 building" in problem(report, row=1, column="楼栋 building").reason_en


def test_a_doubled_column_is_reported(rejected):
    headers = [*HOUSE_HEADERS, "建筑面积"]
    report = rejected("registry.xlsx", xlsx({HOUSES: [headers, [*house_row(), "90"]]}))
    assert "appears twice" in problem(report, row=1, column="建筑面积").reason_en


def test_values_in_a_column_without_header_are_reported(rejected):
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, [*house_row(), None, "备注"]]}))
    assert "without a header" in problem(report, sheet=HOUSES, row=2, column="L").reason_en


# --- cells ----------------------------------------------------------------------------------------------------


def test_formulas_are_refused_in_xlsx_and_csv(rejected):
    # given a formula in a workbook cell and a csv cell starting with "="
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, house_row(area="=80+9.5")]}))
    error = problem(report, sheet=HOUSES, row=2, column="建筑面积 building area (m²)")
    assert error.value == "=80+9.5" and "Formulas are not accepted" in error.reason_en
    report = rejected("registry.csv", csv_bytes([HOUSE_HEADERS, house_row(), house_row(number='=HYPERLINK("x")')]))
    assert "Formulas" in problem(report, row=3, column="房号 number").reason_en


@pytest.mark.parametrize(("area", "reason"), [
    ("abc", "not a number"), ("-5", "must be greater than 0"), ("0", "must be greater than 0"),
    ("0.001", "must be greater than 0"), ("NaN", "not a number"), (None, "This value is required."),
])
def test_bad_areas_are_refused(rejected, area, reason):
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, house_row(area=area)]}))
    error = problem(report, sheet=HOUSES, row=2, column="建筑面积 building area (m²)")
    assert error.reason_en == reason


def test_an_inner_area_larger_than_the_building_area_is_refused(rejected):
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, house_row(area="80", inner="80.01")]}))
    error = problem(report, sheet=HOUSES, row=2, column="套内面积 inner area (m²)")
    assert "larger than the building area" in error.reason_en


def test_bad_choices_floors_and_flags_are_refused(rejected):
    row = house_row(kind="villa", floor="fifteen", developer_held="maybe")
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, row]}))
    assert "allowed values: residential, commercial" in problem(report, column="类型 kind").reason_en
    assert problem(report, column="楼层 floor").reason_en == "not a whole number"
    assert "yes or no" in problem(report, column="开发商持有 developer held").reason_en


def test_invalid_mobile_id_and_plate_are_refused_row_by_row(rejected, id_number):
    bad_id = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    data = xlsx({
        HOUSES: [HOUSE_HEADERS, house_row()],
        RESIDENTS: [RESIDENT_HEADERS, resident_row(mobile="1381234"),
                    resident_row(name="李四", mobile="13912345678", id_number=bad_id, representative=None),
                    resident_row(name="王五", mobile=None, id_number=None, representative=None)],
        VEHICLES: [VEHICLE_HEADERS, vehicle_row(plate="京A1234")],
    })
    report = rejected("registry.xlsx", data)
    mobile = problem(report, sheet=RESIDENTS, row=2, column="手机 mobile")
    assert mobile.value == "1381234" and "mainland mobile number" in mobile.reason_en
    assert "check digit" in problem(report, sheet=RESIDENTS, row=3, column="证件号码 ID number").reason_en
    assert "mobile number or the ID number" in problem(report, sheet=RESIDENTS, row=4, column="手机 mobile").reason_en
    assert "not a mainland plate" in problem(report, sheet=VEHICLES, row=2, column="车牌 plate").reason_en
    # every problem is rendered in both product languages
    assert all(e.reason_en and e.reason_zh for e in report.errors)


def test_a_resident_of_an_unknown_house_is_refused(rejected):
    report = rejected("registry.csv", csv_bytes([RESIDENT_HEADERS, resident_row(number="9999")]))
    error = problem(report, row=2, column="房号 number")
    assert "House 3-2-9999 is neither in the registry nor in the houses sheet" in error.reason_en


def test_a_resident_of_a_new_house_whose_row_is_wrong_points_at_that_row(rejected):
    # given a new house whose row in the houses sheet is wrong, and its owner in the residents sheet
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row(area="80", inner="90")], RESIDENTS: [RESIDENT_HEADERS, resident_row()]})
    report = rejected("registry.xlsx", data)
    # then the resident's row sends the reader to the house's row instead of claiming the house is missing
    error = problem(report, sheet=RESIDENTS, row=2, column="房号 number")
    assert error.reason_en == ("House 3-2-1502 is not in the registry yet and its row in this file (sheet 房屋 houses, "
                               "row 2) has a problem: fix that row first.")


# --- duplicates and conflicts ---------------------------------------------------------------------------------


def test_duplicate_houses_inside_the_file_are_refused_even_when_written_differently(rejected):
    # given the same house twice: once plainly, once with full-width digits and labels
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row(), house_row("３栋", " 2单元 ", "１５０２室")]})
    report = rejected("registry.xlsx", data)
    error = problem(report, sheet=HOUSES, row=3, column="房号 number")
    assert "Duplicate: house 3-2-1502 is also in sheet 房屋 houses, row 2" in error.reason_en


def test_a_house_already_registered_is_refused_in_create_mode(rejected, estate):
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    HouseFactory(unit=unit, number="1502")
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, house_row(), house_row(number="1503")]}),
                      mode="create")
    assert "already in the registry" in problem(report, sheet=HOUSES, row=2).reason_en


def test_a_plate_registered_to_another_house_is_refused(rejected, estate):
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    other = HouseFactory(unit=unit, number="0801")
    HouseFactory(unit=unit, number="1502")
    VehicleFactory(house=other, plate="京A12345")
    PersonFactory(estate=estate, name="张三", mobile="13812345678")
    report = rejected("registry.xlsx", xlsx({VEHICLES: [VEHICLE_HEADERS, vehicle_row(plate="京a·12345")]}))
    error = problem(report, sheet=VEHICLES, row=2, column="车牌 plate")
    assert error.reason_en == "Plate 京A12345 is already registered to house 3-2-0801."


def test_a_duplicate_plate_inside_the_file_is_refused(rejected):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()], RESIDENTS: [RESIDENT_HEADERS, resident_row()],
                 VEHICLES: [VEHICLE_HEADERS, vehicle_row(), vehicle_row(plate="京A 12345")]})
    report = rejected("registry.xlsx", data)
    assert "Duplicate: plate 京A12345" in problem(report, sheet=VEHICLES, row=3).reason_en


def test_an_id_number_used_by_a_person_with_another_name_is_refused(rejected, estate, id_number):
    PersonFactory(estate=estate, name="李四", id_number=id_number(7))
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()], RESIDENTS: [RESIDENT_HEADERS,
                                                                    resident_row(id_number=id_number(7))]})
    report = rejected("registry.xlsx", data)
    error = problem(report, sheet=RESIDENTS, row=2, column="证件号码 ID number")
    assert "already registered to a person with another name (李四)" in error.reason_en


def test_one_id_number_with_two_names_inside_the_file_is_refused(rejected, id_number):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row(), house_row(number="1501")],
                 RESIDENTS: [RESIDENT_HEADERS, resident_row(id_number=id_number(7)),
                             resident_row(number="1501", name="李四", id_number=id_number(7))]})
    report = rejected("registry.xlsx", data)
    assert "given for 张三 in sheet 住户 residents, row 2" in problem(report, sheet=RESIDENTS, row=3).reason_en


def test_a_duplicate_residency_inside_the_file_is_refused(rejected):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()],
                 RESIDENTS: [RESIDENT_HEADERS, resident_row(), resident_row(representative=None)]})
    report = rejected("registry.xlsx", data)
    assert "Duplicate: this person is already registered" in problem(report, sheet=RESIDENTS, row=3).reason_en


# --- households -----------------------------------------------------------------------------------------------


def test_co_owner_shares_above_one_are_refused(rejected):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()],
                 RESIDENTS: [RESIDENT_HEADERS, resident_row(kind="co_owner", share="60%"),
                             resident_row(name="李四", mobile="13912345678", kind="co_owner", share="1/2",
                                          representative=None)]})
    report = rejected("registry.xlsx", data)
    error = problem(report, sheet=RESIDENTS, row=3, column="份额 share")
    assert "add up to 1.1, more than 1" in error.reason_en


def test_co_owner_shares_above_one_with_the_registry_are_refused(rejected, estate):
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    house = HouseFactory(unit=unit, number="1502")
    ResidencyFactory(house=house, kind="co_owner", share=Decimal("0.7"))
    data = xlsx({RESIDENTS: [RESIDENT_HEADERS, resident_row(kind="co_owner", share="0.5", representative=None)]})
    report = rejected("registry.xlsx", data)
    assert "add up to 1.2" in problem(report, sheet=RESIDENTS, row=2, column="份额 share").reason_en


def test_two_voting_representatives_for_one_house_are_refused(rejected):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()],
                 RESIDENTS: [RESIDENT_HEADERS, resident_row(kind="co_owner", share="0.5"),
                             resident_row(name="李四", mobile="13912345678", kind="co_owner", share="0.5")]})
    report = rejected("registry.xlsx", data)
    error = problem(report, sheet=RESIDENTS, row=3, column="投票代表 voting representative")
    assert "already has a voting representative in sheet 住户 residents, row 2" in error.reason_en


def test_a_share_or_representative_for_a_tenant_is_refused(rejected):
    data = xlsx({HOUSES: [HOUSE_HEADERS, house_row()],
                 RESIDENTS: [RESIDENT_HEADERS, resident_row(kind="tenant", share="0.5", representative="是")]})
    report = rejected("registry.xlsx", data)
    assert "Only owners and co-owners hold a share" in problem(report, column="份额 share").reason_en
    assert "must be an owner" in problem(report, column="投票代表 voting representative").reason_en


def test_every_bad_row_is_reported_not_just_the_first(rejected):
    rows = [house_row(number=str(100 + i), area="x") for i in range(30)]
    report = rejected("registry.xlsx", xlsx({HOUSES: [HOUSE_HEADERS, *rows]}))
    assert [e.row for e in report.errors] == list(range(2, 32))
    assert report.error_total == 30
