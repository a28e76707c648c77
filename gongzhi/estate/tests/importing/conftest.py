"""Helpers for the import tests: an acting manager, and registry files written the way users write them."""

import csv
import io

import openpyxl
import pytest

from gongzhi.core.access import resolve_actor
from gongzhi.estate.models import Building, House, Person, Residency, Unit, Vehicle
from gongzhi.estate.tests.factories import make_id_number

HOUSE_HEADERS = ["楼栋 building", "单元 unit", "房号 number", "楼层 floor", "类型 kind", "建筑面积 building area (m²)",
                 "套内面积 inner area (m²)", "面积来源 area source", "状态 status", "开发商持有 developer held"]
RESIDENT_HEADERS = ["楼栋 building", "单元 unit", "房号 number", "姓名 name", "手机 mobile", "证件类型 ID type",
                    "证件号码 ID number", "身份 relation", "份额 share", "投票代表 voting representative",
                    "起始日期 from"]
VEHICLE_HEADERS = ["车牌 plate", "楼栋 building", "单元 unit", "房号 number", "车主 owner name", "车主手机 owner mobile",
                   "车主证件类型 owner ID type", "车主证件号码 owner ID number"]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx workbook: sheet title → rows (the first row is the header)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def house_row(building="3", unit="2", number="1502", area="89.50", **extra) -> list:
    values = {"floor": 15, "kind": "residential", "inner": "72.30", "source": "register", "status": "occupied",
              "developer_held": "否", **extra}
    return [building, unit, number, values["floor"], values["kind"], area, values["inner"], values["source"],
            values["status"], values["developer_held"]]


def resident_row(building="3", unit="2", number="1502", name="张三", mobile="13812345678", id_number=None,
                 kind="owner", share=None, representative="是", start="2020-01-01", id_type=None) -> list:
    return [building, unit, number, name, mobile, id_type, id_number, kind, share, representative, start]


def vehicle_row(plate="京A12345", building="3", unit="2", number="1502", name="张三", mobile="13812345678",
                id_number=None) -> list:
    return [plate, building, unit, number, name, mobile, None, id_number]


def registry_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Building, Unit, House, Person, Residency, Vehicle)}


@pytest.fixture
def manager(estate, member):
    return resolve_actor(member("manager", estate), estate.pk)


@pytest.fixture
def id_number():
    return make_id_number
