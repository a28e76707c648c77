"""Reading an uploaded file into sheets of raw rows, refusing what is not a registry file.

Checked here, before any row is looked at: the size (settings.IMPORT_MAX_BYTES), the kind of file (an .xlsx must be
a zip with a workbook inside; a .csv must be text), the total uncompressed size of an .xlsx (a zip bomb expands to
gigabytes from a few kilobytes), the number of rows (settings.IMPORT_MAX_ROWS), the headers (every required column
present, no unknown or doubled column), and formulas (an .xlsx formula cell, a .csv cell starting with '=').
"""

import csv
import io
import logging
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from . import xlsx
from .cells import is_blank
from .columns import HOUSE_PARTS, NOTES_NAMES, SHEETS, SheetSpec, normalise_header
from .report import Problems

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 64
MAX_ZIP_MEMBERS = 2000
DATE_COLUMNS = ("start_date",)
FORMULA = object()  # stands for a rejected formula cell; already reported, so not checked again


class StopReading(Exception):
    """The file cannot be read any further (already reported)."""


@dataclass
class RawSheet:
    spec: SheetSpec
    title: str
    header_row: int
    # column key → (position in the row, the header as written in the file)
    columns: dict[str, tuple[int, str]]
    rows: list[tuple[int, tuple]] = field(default_factory=list)

    def header(self, key: str) -> str:
        return self.columns[key][1] if key in self.columns else self.spec.column(key).header

    def has(self, key: str) -> bool:
        return key in self.columns


@dataclass
class Limits:
    max_bytes: int
    max_rows: int
    max_uncompressed: int

    @classmethod
    def from_settings(cls) -> "Limits":
        max_bytes = settings.IMPORT_MAX_BYTES
        return cls(max_bytes=max_bytes, max_rows=settings.IMPORT_MAX_ROWS,
                   max_uncompressed=getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 10 * max_bytes))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


def file_format(filename: str, data: bytes) -> str | None:
    name = filename.lower().rsplit("/", 1)[-1]
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if "." not in name:
        return "xlsx" if data.startswith(ZIP_MAGIC) else "csv"
    return None


def read_file(filename: str, data: bytes, problems: Problems, limits: Limits, size: int | None = None
              ) -> list[RawSheet]:
    """The sheets of the file with their rows; problems with the file itself are added to ``problems``."""
    size = max(size or 0, len(data))
    if not data:
        problems.add("", None, "", filename, _("The file is empty."))
        return []
    if size > limits.max_bytes:
        problems.add("", None, "", filename, _("The file is too large: %(size)s MB; at most %(max)s MB is accepted."),
                     size=_mb(size), max=_mb(limits.max_bytes))
        return []
    kind = file_format(filename, data)
    if kind is None:
        problems.add("", None, "", filename,
                     _("Only .xlsx workbooks and .csv files can be imported. Save an older .xls workbook as .xlsx."))
        return []
    reader = _XlsxReader(problems, limits) if kind == "xlsx" else _CsvReader(problems, limits)
    try:
        sheets = reader.read(data)
    except StopReading:
        return []
    if problems:
        return sheets
    if not sheets:
        problems.add("", None, "", filename, _("The file holds no registry sheet: none of 房屋 houses, 住户 residents "
                                               "or 车辆 vehicles was found, and no sheet has data."))
    elif not any(sheet.rows for sheet in sheets):
        first = sheets[0]
        problems.add(first.title, first.header_row, "", "",
                     _("The file has headers but no rows: there is nothing to import."))
    return sheets


class _Reader(ABC):
    def __init__(self, problems: Problems, limits: Limits):
        self.problems = problems
        self.limits = limits
        self.row_count = 0

    @abstractmethod
    def read(self, data: bytes) -> list[RawSheet]:
        """The sheets of the file, or StopReading after reporting why the file cannot be read."""

    # --- headers ------------------------------------------------------------------------------------------
    def sheet_for(self, title: str, header: tuple, header_row: int, by_title: SheetSpec | None) -> RawSheet | None:
        """The sheet these headers start; ``title`` is empty for a .csv file (its kind names it)."""
        spec = by_title or guess_spec(header)
        if spec is None:
            expected = "; ".join(s.title for s in SHEETS.values())
            self.problems.add(title, header_row, "", "",
                              _("Cannot tell what this sheet holds: its headers match none of %(sheets)s. Use the "
                                "headers of the template."), sheets=expected)
            return None
        title = title or spec.title
        self._header = header
        return RawSheet(spec=spec, title=title, header_row=header_row,
                        columns=self.bind(spec, title, header, header_row))

    def bind(self, spec: SheetSpec, title: str, header: tuple, header_row: int) -> dict[str, tuple[int, str]]:
        index = spec.header_index()
        columns: dict[str, tuple[int, str]] = {}
        for position, value in enumerate(header):
            if is_blank(value):
                continue
            written = str(value).strip()
            column = index.get(normalise_header(value))
            if column is None:
                self.problems.add(title, header_row, written, written,
                                  _("Unknown column (renamed?). The columns of this sheet are: %(headers)s."),
                                  headers=", ".join(c.header for c in spec.columns))
            elif column.key in columns:
                self.problems.add(title, header_row, written, written,
                                  _("This column appears twice (also as “%(other)s”)."),
                                  other=columns[column.key][1])
            else:
                columns[column.key] = (position, written)
        has_house = "house" in columns
        for column in spec.columns:
            if column.key in columns:
                continue
            if column.key in HOUSE_PARTS and spec.house_ref != "none":
                given = [k for k in HOUSE_PARTS if k in columns]
                if has_house or (spec.house_ref == "optional" and not given):
                    continue
                self.problems.add(title, header_row, column.header, "",
                                  _("A required column is missing: the header must read “%(header)s” (or give the "
                                    "whole house in one column “%(house)s”)."),
                                  header=column.header, house=spec.column("house").header)
            elif column.required:
                self.problems.add(title, header_row, column.header, "",
                                  _("A required column is missing: the header must read “%(header)s”."),
                                  header=column.header)
        return columns

    # --- rows ---------------------------------------------------------------------------------------------
    def count_row(self, title: str, row: int) -> None:
        self.row_count += 1
        if self.row_count > self.limits.max_rows:
            self.problems.add(title, row, "", "", _("The file has more than %(max)s rows; split it into smaller "
                                                    "files."), max=self.limits.max_rows)
            raise StopReading()

    def check_unnamed(self, sheet: RawSheet, row: int, values: tuple, reported: set[int]) -> None:
        named = {position for position, _header in sheet.columns.values()}
        for position, value in enumerate(values):
            if position not in named and position not in reported and not is_blank(value) and value is not FORMULA:
                if position < len(self._header) and not is_blank(self._header[position]):
                    continue  # an unknown column: already reported on the header row
                reported.add(position)
                self.problems.add(sheet.title, row, self.column_name(position), value,
                                  _("There is a value in a column without a header."))

    def column_name(self, position: int) -> str:
        """The column as the user sees it: its header, or its letter when it has none."""
        if position < len(self._header) and not is_blank(self._header[position]):
            return str(self._header[position]).strip()
        return _column_letter(position)

    def formula(self, title: str, row: int, position: int, value: Any, error_value: bool = False) -> None:
        if error_value:
            self.problems.add(title, row, self.column_name(position), value, _("The cell holds an Excel error value."))
        else:
            self.problems.add(title, row, self.column_name(position), value,
                              _("Formulas are not accepted; enter the value itself (copy, then paste values)."))

    _header: tuple = ()


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def guess_spec(header: tuple) -> SheetSpec | None:
    """The kind of sheet whose headers these are: the one whose required columns are all present, else the one
    that recognises most of them (its missing columns are then reported)."""
    names = {normalise_header(v) for v in header if not is_blank(v)}
    best: tuple[int, int, int] | None = None
    chosen = None
    for order, spec in enumerate(SHEETS.values()):
        index = spec.header_index()
        found = {index[n].key for n in names if n in index}
        required = {c.key for c in spec.columns if c.required and c.key not in HOUSE_PARTS}
        if spec.house_ref == "required":
            complete = required <= found and ("house" in found or set(HOUSE_PARTS) <= found)
        else:
            required |= {c.key for c in spec.columns if c.required and c.key in HOUSE_PARTS}
            complete = required <= found
        score = (int(complete), len(found), -order)
        # one familiar header ("姓名") in an unrelated sheet is not enough to call it a registry sheet
        if (complete or len(found) >= 2) and (best is None or score > best):
            best, chosen = score, spec
    return chosen


def spec_by_title(title: str) -> SheetSpec | None:
    name = normalise_header(title)
    return next((s for s in SHEETS.values() if name in s.title_names()), None)


class _XlsxReader(_Reader):
    def read(self, data: bytes) -> list[RawSheet]:
        problems = self.problems
        not_xlsx = _("This is not an Excel .xlsx workbook (was another file renamed to .xlsx?). Save the "
                     "spreadsheet as .xlsx or .csv.")
        if not data.startswith(ZIP_MAGIC):
            problems.add("", None, "", "", not_xlsx)
            raise StopReading()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            problems.add("", None, "", "", not_xlsx)
            raise StopReading() from None
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            problems.add("", None, "", "", not_xlsx)
            raise StopReading()
        expanded = sum(m.file_size for m in members)
        if expanded > self.limits.max_uncompressed or len(members) > MAX_ZIP_MEMBERS:
            problems.add("", None, "", "",
                         _("The workbook expands to %(size)s MB when unpacked; at most %(max)s MB is accepted."),
                         size=_mb(expanded), max=_mb(self.limits.max_uncompressed))
            raise StopReading()
        try:
            workbook = xlsx.Workbook(data)
            try:
                sheets = []
                for sheet in workbook.sheets:
                    raw = self.read_sheet(workbook, sheet)
                    if raw is not None:
                        sheets.append(raw)
                return sheets
            finally:
                workbook.close()
        except StopReading:
            raise
        except Exception:
            # Anything openpyxl, the XML or the archive throws at us means the same to the user: not a readable workbook.
            logger.info("unreadable workbook", exc_info=True)
            problems.add("", None, "", "", _("The workbook cannot be read: it is damaged, encrypted or not an .xlsx "
                                             "file."))
            raise StopReading() from None

    def read_sheet(self, workbook: xlsx.Workbook, source: xlsx.Sheet) -> RawSheet | None:
        title = source.title
        if normalise_header(title) in NOTES_NAMES:
            return None
        by_title = spec_by_title(title)
        sheet: RawSheet | None = None
        reported: set[int] = set()
        dates: list[int] = []
        for row, values, flagged in workbook.rows(source, MAX_COLUMNS):
            if all(is_blank(v) for v in values):
                continue
            if sheet is None:
                sheet = self.sheet_for(title, tuple(values), row, by_title)
                if sheet is None:
                    return None
                dates = [sheet.columns[k][0] for k in DATE_COLUMNS if k in sheet.columns]
                continue
            self.count_row(title, row)
            for position, kind in flagged:
                self.formula(title, row, position, values[position], error_value=kind == "e")
                values[position] = FORMULA
            for position in dates:
                # Excel keeps a date as a number of days, styled as a date.
                if position < len(values) and isinstance(values[position], int | float) \
                        and not isinstance(values[position], bool):
                    try:
                        values[position] = from_excel(values[position], workbook.epoch)
                    except (ValueError, OverflowError):
                        pass
            values = tuple(values)
            self.check_unnamed(sheet, row, values, reported)
            sheet.rows.append((row, values))
        return sheet


class _CsvReader(_Reader):
    def read(self, data: bytes) -> list[RawSheet]:
        problems = self.problems
        if data.startswith(ZIP_MAGIC):
            problems.add("", None, "", "", _("This is a zip or .xlsx file, not a .csv file: name it .xlsx."))
            raise StopReading()
        text = self.decode(data)
        if text is None:
            problems.add("", None, "", "", _("This is not a text .csv file, or its encoding is neither UTF-8 nor "
                                             "GB18030 (GBK)."))
            raise StopReading()
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = max((",", "\t", ";"), key=first.count) if first else ","
        sheet: RawSheet | None = None
        title = ""
        try:
            for row, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
                values = tuple(record[:MAX_COLUMNS])
                if all(is_blank(v) for v in values):
                    continue
                if sheet is None:
                    sheet = self.sheet_for("", values, row, None)
                    if sheet is None:
                        raise StopReading()
                    title = sheet.title
                    continue
                self.count_row(title, row)
                values = self.formulas(title, row, values)
                self.check_unnamed(sheet, row, values, set())
                sheet.rows.append((row, values))
        except csv.Error:
            problems.add(title, None, "", "", _("The .csv file is malformed (an unclosed quote or a binary byte)."))
            raise StopReading() from None
        return [sheet] if sheet is not None else []

    @staticmethod
    def decode(data: bytes) -> str | None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encodings: tuple[str, ...] = ("utf-16",)
        else:
            if b"\x00" in data[:8192]:
                return None
            encodings = ("utf-8-sig", "gb18030")
        for encoding in encodings:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return None

    def formulas(self, title: str, row: int, values: tuple) -> tuple:
        if not any(v.lstrip().startswith("=") for v in values):
            return values
        checked = []
        for position, value in enumerate(values):
            if value.lstrip().startswith("="):
                self.formula(title, row, position, value)
                checked.append(FORMULA)
            else:
                checked.append(value)
        return tuple(checked)
