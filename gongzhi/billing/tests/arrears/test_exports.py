"""The workbooks read back with openpyxl: numbers as numbers, dates as dates, totals rows, formula text defused."""

import datetime
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from gongzhi.billing.exports import export_workbook, safe_text
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import DomainError, Forbidden

from .helpers import at, d, pay

pytestmark = pytest.mark.django_db


def read(actor, kind, **kw):
    name, out = export_workbook(actor=actor, kind=kind, **kw)
    return name, load_workbook(io.BytesIO(out.read()))


def test_bills_with_lines_and_totals(fees):
    make_bill(fees.houses[0], ["260.70", "15.00"], period_start=d("2026-03-01"), due_date=d("2026-03-31"))
    make_bill(fees.houses[1], ["264.00"], period_start=d("2026-03-01"), due_date=d("2026-03-31"))
    name, wb = read(fees.finance, "bills", date_from=d("2026-03-01"), date_to=d("2026-03-31"))
    assert name.startswith("bills-") and name.endswith(".xlsx")
    bills, lines = wb.worksheets
    rows = list(bills.iter_rows(values_only=True))
    assert rows[1][1] == fees.houses[0].code and rows[1][8] == 275.7
    assert isinstance(rows[1][7], datetime.datetime) and rows[1][7].date() == d("2026-03-31")  # a date cell
    assert rows[-1][8] == 539.7 and "2" in rows[-1][0]  # the totals row
    line_rows = list(lines.iter_rows(values_only=True))
    assert [r[6] for r in line_rows[1:-1]] == [260.7, 15.0, 264.0] and line_rows[-1][6] == 539.7


def test_payments_and_receipts(fees):
    make_bill(fees.houses[0], ["100.00"], due_date=d("2026-01-31"))
    pay(fees.finance, fees.houses[0], "100.00", d("2026-02-03"))
    pay(fees.finance, fees.houses[1], "50.00", d("2026-02-04"))
    _name, wb = read(fees.finance, "payments", date_from=d("2026-02-01"), date_to=d("2026-02-28"))
    rows = list(wb.active.iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == [100.0, 50.0, 150.0]
    assert isinstance(rows[1][1], datetime.datetime)
    _name, wb = read(fees.finance, "receipts", date_from=datetime.date.today().replace(day=1))
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[-1][5] == 150.0 and rows[1][6] is False  # header, two receipts, totals


def test_formula_text_is_defused():
    assert safe_text("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_text("+86 139") == "'+86 139" and safe_text("@x") == "'@x" and safe_text("-1") == "'-1"
    assert safe_text("王五") == "王五"


def test_a_bill_note_starting_with_equals_stays_text(fees):
    bill = make_bill(fees.houses[0], ["10.00"], period_start=d("2026-03-01"))
    type(bill).objects.filter(pk=bill.pk).update(note="=1+1")
    _name, wb = read(fees.finance, "bills", date_from=d("2026-03-01"), date_to=d("2026-03-31"))
    cell = wb.worksheets[0].cell(row=2, column=14)
    assert (cell.value, cell.data_type) == ("'=1+1", "s")


def test_arrears_and_collection_workbooks(fees):
    make_bill(fees.houses[0], ["260.70"], period_start=d("2026-03-01"), due_date=d("2026-03-31"),
              issued_at=at(d("2026-03-01")))
    _name, wb = read(fees.finance, "arrears", date_to=d("2026-06-30"))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][0] == fees.houses[0].code and rows[1][5] == 260.7 and rows[-1][8] == 260.7  # 91–180 days
    with translation.override("en"):
        _name, wb = read(fees.chair, "collection", date_from=d("2026-03-01"), date_to=d("2026-03-31"))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][:6] == ("2026-03", "All", "All", 1, 260.7, 0) and rows[-1][7] == 0


def test_who_may_download(fees):
    with pytest.raises(Forbidden):
        export_workbook(actor=fees.chair, kind="bills")
    with pytest.raises(Forbidden):
        export_workbook(actor=fees.owner, kind="collection")
    with pytest.raises(DomainError):
        export_workbook(actor=fees.finance, kind="passwords")
    with pytest.raises(DomainError):
        export_workbook(actor=fees.finance, kind="bills", date_from=d("2026-03-02"), date_to=d("2026-03-01"))
