"""The workbooks finance reconciles with (.xlsx, openpyxl in write-only mode, streamed from a temporary file):
bills with their lines, payments, receipts with their voids, arrears by house, the collection rate.

Every sheet has a header row, one row per record and a totals row; amounts are numbers (format #,##0.00), dates
are dates and times are times (in the estate's time zone), never text. Text a spreadsheet would read as a formula
(starting with = + - @, or a tab or carriage return) is written with a leading apostrophe (formula injection: a
payer name "=HYPERLINK(...)" stays a name)."""

import datetime
import tempfile
from decimal import Decimal

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden, Reason

from . import arrears, collection
from .choices import BillKind, PaymentMethod, PeriodKind
from .errors import invalid
from .models import Bill, BillLine, Payment, Receipt
from .policies import BillPolicy

KIND_CHOICES = [
    ("bills", _("Bills and their lines")),
    ("payments", _("Payments")),
    ("receipts", _("Receipts and voids")),
    ("arrears", _("Arrears by house")),
    ("collection", _("Collection rate")),
]
KINDS = [k for k, _label in KIND_CHOICES]
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
MAX_DAYS = 3660


def safe_text(value: str) -> str:
    """Text that no spreadsheet evaluates: a leading apostrophe before = + - @ (and tab, carriage return)."""
    value = str(value)
    return "'" + value if value.startswith(DANGEROUS) else value


class Sheet:
    """A write-only sheet: header, rows, and a totals row summing the money columns."""

    def __init__(self, workbook: Workbook, title: str, columns: list[tuple[str, str]]):
        self.ws = workbook.create_sheet(title=title[:31])
        self.columns = columns  # (header, kind): kind in text, money, int, date, time, bool, percent
        self.totals = [Decimal("0.00") if kind == "money" else None for _h, kind in columns]
        self.count = 0
        self.bold = Font(bold=True)
        self.ws.append([self._cell(str(h), "text", bold=True) for h, _k in columns])

    def _cell(self, value, kind: str, *, bold: bool = False):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        if isinstance(value, str) or (kind == "text" and value is not None):
            value = safe_text(value)
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if kind == "money":
            cell.number_format = MONEY_FORMAT
        elif kind == "date":
            cell.number_format = DATE_FORMAT
        elif kind == "time":
            cell.number_format = TIME_FORMAT
        elif kind == "percent":
            cell.number_format = "0.00"
        if bold:
            cell.font = self.bold
        return cell

    def add(self, values: list) -> None:
        for i, (value, (_h, kind)) in enumerate(zip(values, self.columns, strict=True)):
            if kind == "money" and value is not None:
                self.totals[i] += value
        self.ws.append([self._cell(v, kind) for v, (_h, kind) in zip(values, self.columns, strict=True)])
        self.count += 1

    def close(self, label=None) -> None:
        row = [self._cell(t, "money", bold=True) if t is not None else None for t in self.totals]
        row[0] = self._cell(str(label or gettext("Total (%(n)s rows)") % {"n": self.count}), "text", bold=True)
        self.ws.append(row)


def _range(date_from, date_to) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise invalid("date_from", _("is after the end date"))
    if (date_to - date_from).days > MAX_DAYS:
        raise invalid("date_from", _("the range may be at most ten years"))
    return date_from, date_to


def _house_label(house) -> str:
    return house.code


def _bills(wb, actor, date_from, date_to) -> None:
    """Bills whose period starts in the range, and their lines."""
    qs = (Bill.objects.filter(estate=actor.estate, period_start__gte=date_from, period_start__lte=date_to)
          .select_related("house__building", "house__unit").order_by("pk"))
    bills = Sheet(wb, gettext("Bills"), [
        (gettext("Bill"), "int"), (gettext("House"), "text"), (gettext("Kind"), "text"),
        (gettext("Period start"), "date"), (gettext("Period end"), "date"), (gettext("Payer"), "text"),
        (gettext("Issued at"), "time"), (gettext("Due date"), "date"), (gettext("Amount"), "money"),
        (gettext("Adjustments"), "money"), (gettext("Paid"), "money"), (gettext("Outstanding"), "money"),
        (gettext("Status"), "text"), (gettext("Note"), "text")])
    lines = Sheet(wb, gettext("Bill lines"), [
        (gettext("Bill"), "int"), (gettext("House"), "text"), (gettext("Description"), "text"),
        (gettext("Quantity"), "number"), (gettext("Unit"), "text"), (gettext("Unit price"), "number"),
        (gettext("Amount"), "money"), (gettext("Ledger account"), "text"), (gettext("Explanation"), "text")])
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        for b in chunk:
            bills.add([b.pk, _house_label(b.house), str(BillKind(b.kind).label), b.period_start, b.period_end,
                       b.payer_name, b.issued_at, b.due_date, b.amount, b.adjusted, b.settled, b.outstanding,
                       b.get_status_display(), b.note])
        houses = {b.pk: _house_label(b.house) for b in chunk}
        for ln in BillLine.objects.filter(bill_id__in=list(houses)).order_by("bill_id", "sort", "id"):
            lines.add([ln.bill_id, houses[ln.bill_id], ln.description, ln.quantity, ln.unit, ln.rate, ln.amount,
                       ln.ledger_code, ln.explanation])
    bills.close()
    lines.close()


def _payments(wb, actor, date_from, date_to) -> None:
    qs = (Payment.objects.filter(estate=actor.estate, received_at__date__gte=date_from,
                                 received_at__date__lte=date_to)
          .select_related("house__building", "house__unit", "receipt__void").order_by("pk"))
    sheet = Sheet(wb, gettext("Payments"), [
        (gettext("Payment"), "int"), (gettext("Received at"), "time"), (gettext("House"), "text"),
        (gettext("Method"), "text"), (gettext("Amount"), "money"), (gettext("Reference"), "text"),
        (gettext("Payer"), "text"), (gettext("Receipt"), "text"), (gettext("Voided"), "bool"),
        (gettext("Note"), "text")])
    for p in qs.iterator(chunk_size=CHUNK):
        receipt = getattr(p, "receipt", None)
        voided = receipt is not None and getattr(receipt, "void", None) is not None
        sheet.add([p.pk, p.received_at, _house_label(p.house), str(PaymentMethod(p.method).label), p.amount,
                   p.reference, p.payer_name, receipt.display_number if receipt else "", voided, p.note])
    sheet.close()


def _receipts(wb, actor, date_from, date_to) -> None:
    qs = (Receipt.objects.filter(estate=actor.estate, issued_at__date__gte=date_from, issued_at__date__lte=date_to)
          .select_related("house__building", "house__unit", "payment", "void").order_by("number"))
    sheet = Sheet(wb, gettext("Receipts"), [
        (gettext("Receipt"), "text"), (gettext("Issued at"), "time"), (gettext("House"), "text"),
        (gettext("Payer"), "text"), (gettext("Method"), "text"), (gettext("Amount"), "money"),
        (gettext("Voided"), "bool"), (gettext("Voided at"), "time"), (gettext("Void reason"), "text"),
        (gettext("Net amount"), "money")])
    for r in qs.iterator(chunk_size=CHUNK):
        void = getattr(r, "void", None)
        sheet.add([r.display_number, r.issued_at, _house_label(r.house), r.payer_name,
                   str(PaymentMethod(r.payment.method).label), r.amount, void is not None,
                   void.created_at if void else None, void.reason if void else "",
                   Decimal("0.00") if void else r.amount])
    sheet.close()


def _arrears(wb, actor, date_from, date_to) -> None:
    on = date_to
    columns = [(gettext("House"), "text"), (gettext("Building"), "text")]
    columns += [(str(b.label), "money") for b in arrears.BUCKETS]
    columns += [(gettext("Overdue"), "money"), (gettext("Total owed"), "money"), (gettext("Bills"), "int"),
                (gettext("Oldest due date"), "date"), (gettext("Days overdue"), "int")]
    sheet = Sheet(wb, gettext("Arrears"), columns)
    cursor = None
    while True:
        page = arrears.arrears_by_house(actor=actor, on=on, min_days=0, cursor=cursor, limit=200)
        for r in page.items:
            sheet.add([r.label, r.building, *[r.buckets[k] for k in arrears.BUCKET_KEYS], r.overdue, r.total,
                       r.bills, r.oldest_due, r.days_overdue])
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    sheet.close()


def _collection(wb, actor, date_from, date_to) -> None:
    """Month by month over the range, in all, by building and by fee item."""
    sheet = Sheet(wb, gettext("Collection rate"), [
        (gettext("Month"), "text"), (gettext("By"), "text"), (gettext("Group"), "text"), (gettext("Bills"), "int"),
        (gettext("Billed"), "money"), (gettext("Paid"), "money"), (gettext("Outstanding"), "money"),
        (gettext("Rate %"), "percent")])
    month = date_from.replace(day=1)
    billed = paid = Decimal("0.00")
    while month <= date_to:
        for group, group_label in (("", gettext("All")), ("building", gettext("Building")),
                                   ("item", gettext("Fee item"))):
            report = collection.collection_rate(actor=actor, period_kind=PeriodKind.MONTH, start=month, group=group,
                                                cut_off=date_to)
            rows = [report.total] if group == "" else report.rows
            for row in rows:
                values = [f"{month:%Y-%m}", group_label, row.label, row.bills, row.billed, row.paid,
                          row.outstanding, row.rate]
                if group == "":
                    sheet.add(values)
                    billed += row.billed
                    paid += row.paid
                else:  # the breakdowns are not added to the totals again
                    sheet.ws.append([sheet._cell(v, kind) for v, (_h, kind) in zip(values, sheet.columns,
                                                                                     strict=True)])
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    sheet.totals[7] = collection.rate_percent(paid, billed)
    sheet.close()


WRITERS = {"bills": _bills, "payments": _payments, "receipts": _receipts, "arrears": _arrears,
           "collection": _collection}


def export_workbook(*, actor: Actor, kind: str, date_from=None, date_to=None):
    """Write the workbook of ``kind`` for the range (default: this month so far) to a temporary file and return
    (file name, open file at position 0)."""
    if kind not in KINDS:
        raise invalid("kind", Reason(_("is not one of %(kinds)s"), kinds=", ".join(KINDS)))
    action = "report" if kind == "collection" else "export"
    if not (BillPolicy.can(actor, "export") or (action == "report" and BillPolicy.can(actor, "report"))):
        raise Forbidden()
    date_from, date_to = _range(date_from, date_to)
    wb = Workbook(write_only=True)
    WRITERS[kind](wb, actor, date_from, date_to)
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return f"{kind}-{actor.estate.pk}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx", out


def export_response(*, actor: Actor, kind: str, date_from=None, date_to=None) -> FileResponse:
    """The workbook as a streamed download, for the page and the API alike."""
    name, out = export_workbook(actor=actor, kind=kind, date_from=date_from, date_to=date_to)
    return FileResponse(out, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
