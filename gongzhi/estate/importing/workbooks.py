"""Workbooks we hand out: the blank template with its notes, and the export of the registry.

Both use the columns of ``columns.py``, so an export imports again unchanged. Text that a spreadsheet could take
for a formula (starting with = + - @, a tab or a carriage return) is written as a plain string cell with Excel's
quote prefix, so that it is shown and never evaluated (CSV/formula injection).
"""

import io
from typing import Any

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Forbidden
from gongzhi.core.masking import mask_id_number, mask_mobile

from ..models import House, Residency, Vehicle
from ..policies import PersonPolicy, RegistryPolicy
from .columns import NOTES_TITLE, SHEETS, Column, SheetSpec

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "是", "否"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def file_columns(spec: SheetSpec) -> tuple[Column, ...]:
    """The columns the template and the export write (the one-column house reference is an alternative that
    only the importer reads)."""
    return tuple(c for c in spec.columns if c.key != "house")


def _label(choices, code: str) -> str:
    labels = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            label = str(choices(code).label)
        if label not in labels:
            labels.append(label)
    return f"{code} ({' / '.join(labels)})"


def _translated(text: Any, language: str) -> str:
    with translation.override(language):
        return str(text)


def template_workbook() -> bytes:
    """The blank import template: the three sheets with their bilingual headers (drop-down lists where a column
    takes fixed values) and a notes sheet describing every column, its allowed values and an example."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in SHEETS.values():
        sheet = workbook.create_sheet(spec.title)
        columns = file_columns(spec)
        for position, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=position, value=column.header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].width = max(column.width, len(column.header) + 4)
            values = list(column.choices.values) if column.choices else None
            if column.key in {"developer_held", "is_representative"}:
                values = [YES, NO]
            if values:
                validation = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=True)
                validation.add(f"{letter}2:{letter}10000")
                sheet.add_data_validation(validation)
            if column.key in {"number", "building", "unit", "mobile", "id_number", "owner_mobile",
                              "owner_id_number"}:
                # Text, so that Excel keeps leading zeros and all 18 digits of an ID number.
                for row in range(2, 1002):
                    sheet.cell(row=row, column=position).number_format = "@"
        sheet.freeze_panes = "A2"
    notes = workbook.create_sheet(NOTES_TITLE)
    headers = ["工作表 sheet", "列 column", "必填 required", "允许的值 allowed values", "示例 example", "说明",
               "notes"]
    notes.append(headers)
    for cell in notes[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for spec in SHEETS.values():
        notes.append([spec.title, "", "", "", "", _translated(spec.help, "zh-hans"), _translated(spec.help, "en")])
        for column in spec.columns:
            allowed = "; ".join(_label(column.choices, v) for v in column.choices.values) if column.choices else ""
            if column.key in {"developer_held", "is_representative"}:
                allowed = "是 / 否 (yes / no)"
            notes.append([spec.title, column.header, "是 yes" if column.required else "", allowed, str(column.example),
                          _translated(column.help, "zh-hans"), _translated(column.help, "en")])
    for letter, width in zip("ABCDEFG", (14, 26, 10, 48, 20, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def can_export(actor: Actor) -> bool:
    return RegistryPolicy.can(actor, "export") and PersonPolicy.can(actor, "export")


def export_registry(*, actor: Actor) -> bytes:
    """The estate's registry as an .xlsx in the template's format: every house, every open residency with its
    person, every registered vehicle. Mobile and ID numbers are shown in full only to roles that see them in full
    (PersonPolicy); a masked number imports back as "unchanged". The export itself is recorded in the audit log:
    it hands out personal data."""
    if not can_export(actor):
        raise Forbidden()
    estate = actor.estate
    full_mobile = PersonPolicy.sees_full_mobile(actor)
    full_id = PersonPolicy.sees_full_id_number(actor)

    def mobile(value: str, user_id) -> str:
        return value if full_mobile or not value or (user_id and user_id == actor.user_id) else mask_mobile(value)

    def id_number(value: str, user_id) -> str:
        return value if full_id or not value or (user_id and user_id == actor.user_id) else mask_id_number(value)

    workbook = Workbook(write_only=True)
    writers = {kind: _SheetWriter(workbook, spec) for kind, spec in SHEETS.items()}

    houses = (House.objects.filter(estate=estate)
              .order_by("building__sort_key", "building__name", "unit__sort_key", "unit__name", "number")
              .values_list("building__name", "unit__name", "number", "floor", "kind", "area_m2", "inner_area_m2",
                           "area_source", "status", "developer_held"))
    for b, u, n, floor, kind, area, inner, source, status, developer_held in houses.iterator(chunk_size=2000):
        writers["houses"].row({"building": b, "unit": u, "number": n, "floor": floor, "kind": kind, "area_m2": area,
                               "inner_area_m2": inner, "area_source": source, "status": status,
                               "developer_held": YES if developer_held else NO})

    residencies = (Residency.objects.filter(estate=estate, end_date__isnull=True)
                   .order_by("house__building__sort_key", "house__building__name", "house__unit__sort_key",
                             "house__unit__name", "house__number", "kind", "id")
                   .values_list("house__building__name", "house__unit__name", "house__number", "person__name",
                                "person__mobile", "person__id_type", "person__id_number", "person__user_id", "kind",
                                "share", "is_representative", "start_date"))
    for b, u, n, name, mob, id_type, id_no, user_id, kind, share, rep, start in residencies.iterator(chunk_size=2000):
        writers["residents"].row({"building": b, "unit": u, "number": n, "name": name, "mobile": mobile(mob, user_id),
                                  "id_type": id_type if id_no else "", "id_number": id_number(id_no, user_id),
                                  "kind": kind, "share": share, "is_representative": YES if rep else NO,
                                  "start_date": start})

    vehicles = (Vehicle.objects.filter(estate=estate, ended_at__isnull=True).order_by("plate")
                .values_list("plate", "house__building__name", "house__unit__name", "house__number", "person__name",
                             "person__mobile", "person__id_type", "person__id_number", "person__user_id"))
    for plate, b, u, n, name, mob, id_type, id_no, user_id in vehicles.iterator(chunk_size=2000):
        writers["vehicles"].row({"plate": plate, "building": b, "unit": u, "number": n, "owner_name": name,
                                 "owner_mobile": mobile(mob or "", user_id),
                                 "owner_id_type": id_type if id_no else "",
                                 "owner_id_number": id_number(id_no or "", user_id)})

    audit(user=actor.user, estate=estate, action="registry.export", label=estate.name,
          after={kind: w.count for kind, w in writers.items()} | {"full_mobile": full_mobile, "full_id": full_id})
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _SheetWriter:
    def __init__(self, workbook: Workbook, spec: SheetSpec):
        self.sheet = workbook.create_sheet(spec.title)
        self.columns = file_columns(spec)
        self.count = 0
        for position, column in enumerate(self.columns, start=1):
            self.sheet.column_dimensions[get_column_letter(position)].width = max(column.width,
                                                                                 len(column.header) + 4)
        self.sheet.freeze_panes = "A2"
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=column.header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            header.append(cell)
        self.sheet.append(header)

    def row(self, values: dict[str, Any]) -> None:
        self.count += 1
        self.sheet.append([self.cell(values.get(c.key)) for c in self.columns])

    def cell(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            if value.startswith(RISKY_PREFIXES):
                cell = WriteOnlyCell(self.sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                return cell
            return value
        return value
