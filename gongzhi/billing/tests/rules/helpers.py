"""Helpers for the rules, meters and readings stories: fee items and meters made through the services, and a bill
line that marks a reading billed (as the bill run does)."""

import datetime
from decimal import Decimal

from gongzhi.billing.models import BillLine, MeterReading
from gongzhi.billing.tests.conftest import make_bill

D = datetime.date


def bill_reading(reading: MeterReading) -> BillLine:
    """Mark ``reading`` billed: a bill of its house with a metered line pointing at it."""
    bill = make_bill(reading.house, ("10.00",), period_start=reading.read_on.replace(day=1))
    line = bill.lines.get()
    return BillLine.objects.create(estate=bill.estate, bill=bill, fee_item=line.fee_item, description="水费",
                                   quantity=Decimal("1"), unit="m³", rate=Decimal("1"), amount=Decimal("0.00"),
                                   explanation="0.00 元", ledger_code="4003", reading=reading, sort=9)


def workbook(rows, header=("楼栋", "单元", "房号", "表类型", "读数", "抄表日期")) -> bytes:
    """An .xlsx of readings: the header row, then ``rows``."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
