"""Meter readings imported from an .xlsx workbook (a round of 抄表 typed into a spreadsheet), all or nothing.

Columns (Chinese or English headers, in any order; a header may carry both, as the template's do): 楼栋 building,
单元 unit, 房号 house number, 表类型 meter kind (水/电/燃气, water/electricity/gas), 读数 reading, 抄表日期 date.

Every row is checked before anything is written, against the meter's history and against the rows above it for the
same meter (``meters.reading_problem``: never lower than the last reading, never before its day, never after today,
no jump beyond ``meters.MAX_JUMP``). Each problem names the row and the column as the file writes them
("第 7 行 “读数”: reading 1234.5 is lower than the last one, 1300.0 on 2026-10-31"). One problem and nothing is
written. A reading already recorded with the same value (the same file imported again) is left unchanged; another
value on a day already read is a problem (correct that reading instead).

The file handling (size, zip checks, formula cells, the row report in both languages) is the registry import's
(``gongzhi.estate.importing``).
"""

import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import openpyxl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import from_excel

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.estate.importing import xlsx
from gongzhi.estate.importing.cells import is_blank, parse_date, text
from gongzhi.estate.importing.columns import normalise_header
from gongzhi.estate.importing.reading import MAX_ZIP_MEMBERS, ZIP_MAGIC, Limits
from gongzhi.estate.importing.report import Problems, RowError
from gongzhi.estate.models import House
from gongzhi.estate.validators import (
    BUILDING_SUFFIXES,
    NUMBER_SUFFIXES,
    UNIT_SUFFIXES,
    InvalidValue,
    strip_label,
)

from .choices import MeterKind, ReadingSource
from .meters import Previous, fmt, parse_reading, reading_problem
from .models import Meter, MeterReading
from .policies import MeterPolicy

MAX_COLUMNS = 32


@dataclass(frozen=True)
class ReadingColumn:
    key: str
    zh: str
    en: str
    example: str
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        return {normalise_header(n) for n in (self.zh, self.en, self.header, f"{self.en} {self.zh}", *self.aliases)}


COLUMNS = (
    ReadingColumn("building", "楼栋", "Building", "1", ("楼号", "楼", "栋")),
    ReadingColumn("unit", "单元", "Unit", "1", ("单元号",)),
    ReadingColumn("number", "房号", "House number", "101", ("房间号", "房屋", "室号", "house", "number", "room")),
    ReadingColumn("kind", "表类型", "Meter kind", "水", ("表", "表种", "类型", "meter", "kind", "meter type")),
    ReadingColumn("value", "读数", "Reading", "1234.5", ("本次读数", "表读数", "reading value", "value")),
    ReadingColumn("read_on", "抄表日期", "Date", "2026-10-31", ("日期", "读表日期", "read on", "reading date")),
)
BY_KEY = {c.key: c for c in COLUMNS}
KIND_WORDS = {
    MeterKind.WATER: {"水", "水表", "自来水", "water", "w"},
    MeterKind.ELECTRICITY: {"电", "电表", "电力", "electricity", "electric", "power", "e"},
    MeterKind.GAS: {"气", "燃气", "燃气表", "煤气", "天然气", "gas", "g"},
}


@dataclass
class ReadingImportReport:
    """What the import says back: ``ok`` (nothing wrong; written unless ``dry_run``), the counts, and every
    problem with its row and column."""

    filename: str
    sha256: str
    dry_run: bool
    ok: bool = False
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0
    preview: list[dict] = field(default_factory=list)  # the first rows as they would be recorded

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "filename": self.filename, "sha256": self.sha256,
                "rows": self.rows, "created": self.created, "unchanged": self.unchanged,
                "error_total": self.error_total, "errors": [error_dict(e) for e in self.errors]}

    def as_error(self) -> DomainError:
        return DomainError(_("The file was not imported: %(count)s problems were found. Nothing was written."),
                           code="import_invalid", count=self.error_total,
                           detail={"errors": [error_dict(e) for e in self.errors], "error_total": self.error_total})


def where(error: RowError, language: str) -> str:
    """'第 7 行 “读数”' / 'row 7, “读数”': where a problem is, as the user finds it in Excel."""
    zh = language.startswith("zh")
    parts = []
    if error.row is not None:
        parts.append(f"第 {error.row} 行" if zh else f"row {error.row}")
    if error.column:
        parts.append(f"“{error.column}”")
    return (" " if zh else ", ").join(parts)


def error_dict(error: RowError) -> dict[str, Any]:
    return {**error.as_dict(), "message_zh": f"{where(error, 'zh-hans')}: {error.reason_zh}".lstrip(": "),
            "message_en": f"{where(error, 'en')}: {error.reason_en}".lstrip(": ")}


# --- the template ------------------------------------------------------------------------------------------------
def template_workbook() -> bytes:
    """The workbook to fill in: the headers in both languages, one example row, a notes sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "抄表 readings"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for position, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position, value=column.header)
        cell.font, cell.fill = bold, fill
        sheet.cell(row=2, column=position, value=column.example)
        sheet.column_dimensions[cell.column_letter].width = 16
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明 notes")
    for row, line in enumerate([
        "每行一个读数；表类型：水、电、燃气；日期写作 2026-10-31；读数不得低于上次读数。",
        "One reading per row; meter kind: water, electricity or gas; dates as 2026-10-31; a reading may not be "
        "lower than the last one.",
        "整个文件要么全部导入，要么一行也不导入；同一文件重复导入不会重复记录。",
        "The whole file is imported or none of it; importing the same file again records nothing twice.",
    ], start=1):
        notes.cell(row=row, column=1, value=line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading the file --------------------------------------------------------------------------------------------
@dataclass
class Row:
    number: int
    values: dict[str, Any]
    house_id: int | None = None
    kind: str = ""
    value: Decimal | None = None
    read_on: datetime.date | None = None


def parse_kind(value: Any) -> str:
    word = text(value).strip().lower()
    for kind, words in KIND_WORDS.items():
        if word in words or word == kind:
            return kind
    raise InvalidValue(_("not a meter kind: write 水, 电 or 燃气 (water, electricity, gas)"))


def _open(data: bytes, problems: Problems, limits: Limits) -> tuple[str, list[tuple[int, list, list]]] | None:
    """The first sheet with data (title, rows); problems with the file itself go to ``problems``."""
    if not data:
        problems.add("", None, "", "", _("The file is empty."))
        return None
    if len(data) > limits.max_bytes:
        problems.add("", None, "", "", _("The file is too large: %(size)s MB; at most %(max)s MB is accepted."),
                     size=f"{len(data) / 1048576:.1f}", max=f"{limits.max_bytes / 1048576:.1f}")
        return None
    not_xlsx = _("This is not an Excel .xlsx workbook (was another file renamed to .xlsx?). Save the "
                 "spreadsheet as .xlsx.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        members = None
    if not data.startswith(ZIP_MAGIC) or members is None:
        problems.add("", None, "", "", not_xlsx)
        return None
    expanded = sum(m.file_size for m in members)
    if expanded > limits.max_uncompressed or len(members) > MAX_ZIP_MEMBERS:
        problems.add("", None, "", "", _("The workbook expands to %(size)s MB when unpacked; at most %(max)s MB is "
                                         "accepted."), size=f"{expanded / 1048576:.1f}",
                     max=f"{limits.max_uncompressed / 1048576:.1f}")
        return None
    try:
        workbook = xlsx.Workbook(data)
    except Exception:
        problems.add("", None, "", "", _("The workbook cannot be read: it is damaged, encrypted or not an .xlsx "
                                         "file."))
        return None
    try:
        for sheet in workbook.sheets:
            if normalise_header(sheet.title) in {normalise_header("说明 notes"), "说明", "notes"}:
                continue
            rows = list(workbook.rows(sheet, MAX_COLUMNS))
            if rows:
                return sheet.title, [(n, v, f) for n, v, f in rows] + [("epoch", workbook.epoch, [])]
        problems.add("", None, "", "", _("The file has no rows: there is nothing to import."))
        return None
    finally:
        workbook.close()


def _bind(title: str, header_row: int, header: list, problems: Problems) -> dict[str, tuple[int, str]]:
    columns: dict[str, tuple[int, str]] = {}
    for position, cell in enumerate(header):
        if is_blank(cell):
            continue
        name = normalise_header(cell)
        column = next((c for c in COLUMNS if name in c.names()), None)
        if column is None:
            continue  # extra columns (notes, the previous reading) are allowed and ignored
        if column.key in columns:
            problems.add(title, header_row, text(cell), cell, _("this column appears twice"))
            continue
        columns[column.key] = (position, text(cell))
    for column in COLUMNS:
        if column.key not in columns:
            problems.add(title, header_row, column.header, "", _("this column is missing"))
    return columns


def _read_rows(data: bytes, problems: Problems, limits: Limits) -> tuple[str, list[Row], dict]:
    opened = _open(data, problems, limits)
    if opened is None:
        return "", [], {}
    title, raw = opened
    epoch = raw.pop()[1]
    header_row, header, _flags = raw[0]
    columns = _bind(title, header_row, header, problems)
    if problems:
        return title, [], columns
    rows: list[Row] = []
    if len(raw) - 1 > limits.max_rows:
        problems.add(title, None, "", "", _("The file has %(rows)s rows; at most %(max)s are accepted."),
                     rows=len(raw) - 1, max=limits.max_rows)
        return title, [], columns
    for number, values, flagged in raw[1:]:
        if all(is_blank(v) for v in values):
            continue
        bad = {position for position, _kind in flagged}
        row = Row(number=number, values={})
        for key, (position, header_text) in columns.items():
            value = values[position] if position < len(values) else None
            if position in bad:
                problems.add(title, number, header_text, value, _("a formula or an error value: type the value "
                                                                  "itself"))
                value = None
            elif key == "read_on" and isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    value = from_excel(value, epoch)
                except (ValueError, OverflowError):
                    pass
            row.values[key] = value
        rows.append(row)
    if not rows and not problems:
        problems.add(title, header_row, "", "", _("The file has headers but no rows: there is nothing to import."))
    return title, rows, columns


# --- checking and writing ----------------------------------------------------------------------------------------
def readings_import(*, actor: Actor, filename: str, data: bytes, dry_run: bool = False) -> ReadingImportReport:
    """Check the workbook and, unless ``dry_run`` or a problem was found, record every reading in one transaction
    (source "import"), with one audit record for the file. Finance and the manager (``MeterPolicy`` "import").
    Returns the report; the caller shows its errors (or raises ``report.as_error()``)."""
    if not MeterPolicy.can(actor, "import"):
        raise Forbidden()
    report = ReadingImportReport(filename=filename, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    problems = Problems()
    title, rows, columns = _read_rows(data, problems, Limits.from_settings())
    report.rows = len(rows)
    if problems:
        return _finish(report, problems)
    with transaction.atomic():
        new = _plan(actor, title, rows, columns, problems, report)
        if problems or dry_run:
            return _finish(report, problems)
        MeterReading.objects.bulk_create(new, batch_size=2000)
        report.created = len(new)
        audit(user=actor.user, estate=actor.estate, action="billing.readings_import",
              after={"filename": filename[:200], "sha256": report.sha256, "rows": report.rows,
                     "created": report.created, "unchanged": report.unchanged})
    return _finish(report, problems)


def _finish(report: ReadingImportReport, problems: Problems) -> ReadingImportReport:
    report.errors = problems.sorted()
    report.error_total = problems.total
    report.ok = not problems
    return report


def _house_index(actor: Actor) -> dict[tuple[str, str, str], int]:
    rows = House.objects.filter(estate=actor.estate).values_list("building__name", "unit__name", "number", "id")
    return {(strip_label(b, *BUILDING_SUFFIXES), strip_label(u, *UNIT_SUFFIXES), strip_label(n, *NUMBER_SUFFIXES)):
            pk for b, u, n, pk in rows}


def _plan(actor: Actor, title: str, rows: list[Row], columns: dict, problems: Problems,
          report: ReadingImportReport) -> list[MeterReading]:
    """Parse and check every row; the meters are locked (a reading entered meanwhile cannot slip between the check
    and the write). Returns the readings to create."""
    header = {key: columns[key][1] for key in columns}
    houses = _house_index(actor)
    today = timezone.localdate()
    for row in rows:
        v = row.values
        parts = []
        for key, suffixes in (("building", BUILDING_SUFFIXES), ("unit", UNIT_SUFFIXES), ("number", NUMBER_SUFFIXES)):
            part = strip_label(text(v.get(key)), *suffixes) if not is_blank(v.get(key)) else ""
            if not part:
                problems.add(title, row.number, header[key], v.get(key), _("is required"))
            parts.append(part)
        if all(parts):
            row.house_id = houses.get(tuple(parts))
            if row.house_id is None:
                problems.add(title, row.number, header["number"], "-".join(parts),
                             _("no such house in this estate (building %(building)s, unit %(unit)s, %(number)s)"),
                             building=parts[0], unit=parts[1], number=parts[2])
        for key, parse in (("kind", parse_kind), ("value", _value), ("read_on", parse_date)):
            raw = v.get(key)
            if is_blank(raw):
                problems.add(title, row.number, header[key], raw, _("is required"))
                continue
            try:
                setattr(row, "kind" if key == "kind" else key, parse(raw))
            except InvalidValue as error:
                reason = error.args[0] if error.args else _("is not valid")
                problems.add(title, row.number, header[key], raw, reason, **getattr(error, "params", {}))
        if row.read_on is not None and row.read_on > today:
            problems.add(title, row.number, header["read_on"], row.read_on.isoformat(), _("may not be in the future"))
            row.read_on = None
    ready = [r for r in rows if r.house_id and r.kind and r.value is not None and r.read_on is not None]
    house_ids = {r.house_id for r in ready}
    meters = {(m.house_id, m.kind): m for m in Meter.objects.select_for_update().filter(
        estate=actor.estate, house_id__in=house_ids, removed_on__isnull=True).order_by("id")}
    latest: dict[int, Previous] = {}
    same_day: dict[tuple[int, datetime.date], Decimal] = {}
    meter_ids = [m.pk for m in meters.values()]
    days = {r.read_on for r in ready}
    for reading_id, meter_id, read_on, value in (MeterReading.objects.filter(meter_id__in=meter_ids)
                                                 .order_by("meter_id", "read_on")
                                                 .values_list("id", "meter_id", "read_on", "value")):
        latest[meter_id] = Previous(value=value, on=read_on, reading_id=reading_id)
        if read_on in days:
            same_day[meter_id, read_on] = value
    new: list[MeterReading] = []
    seen: dict[tuple[int, datetime.date], tuple[Decimal, int]] = {}
    for row in sorted(ready, key=lambda r: (r.house_id, r.kind, r.read_on, r.number)):
        meter = meters.get((row.house_id, row.kind))
        if meter is None:
            problems.add(title, row.number, header["kind"], row.values.get("kind"),
                         _("this house has no current %(kind)s meter"), kind=MeterKind(row.kind).label)
            continue
        key = (meter.pk, row.read_on)
        if key in seen:
            if seen[key][0] != row.value:
                problems.add(title, row.number, header["value"], row.values.get("value"),
                             _("row %(row)s has another reading of this meter on the same day (%(value)s)"),
                             row=seen[key][1], value=fmt(seen[key][0]))
            continue
        seen[key] = (row.value, row.number)
        if key in same_day:
            if same_day[key] == row.value:
                report.unchanged += 1
            else:
                problems.add(title, row.number, header["value"], row.values.get("value"),
                             _("the meter already has the reading %(value)s on %(day)s; correct that reading "
                               "instead"), value=fmt(same_day[key]), day=row.read_on.isoformat())
            continue
        previous = latest.get(meter.pk) or Previous(value=meter.initial_reading, on=meter.installed_on,
                                                    reading_id=None)
        problem = reading_problem(meter, row.read_on, row.value, previous)
        if problem is not None:
            name, reason, params = problem
            column = header["value"] if name == "value" else header["read_on"]
            raw = row.values.get("value" if name == "value" else "read_on")
            problems.add(title, row.number, column, raw, reason, **params)
            continue
        latest[meter.pk] = Previous(value=row.value, on=row.read_on, reading_id=-row.number)
        new.append(MeterReading(estate=actor.estate, meter=meter, house_id=meter.house_id, read_on=row.read_on,
                                value=row.value, source=ReadingSource.IMPORT, entered_by=actor.user,
                                note=f"{report.filename[:150]} #{row.number}"))
        if len(report.preview) < 20:
            report.preview.append({"row": row.number, "house_id": meter.house_id, "kind": meter.kind,
                                   "read_on": row.read_on, "value": row.value, "previous": previous.value})
    return new


def _value(raw: Any) -> Decimal:
    try:
        return parse_reading(raw)
    except DomainError as error:
        raise InvalidValue(error.params.get("reason") or _("not a number")) from None
