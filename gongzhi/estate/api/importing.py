"""The registry's Excel import and export: the template, the import (with a dry run), the export."""

from django.http import HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from gongzhi.core.api import ErrorOut, api_actor
from gongzhi.core.errors import Forbidden

from ..importing import XLSX_CONTENT_TYPE, can_import, export_registry, import_registry, template_workbook
from ..importing.planning import UPSERT
from ..importing.reading import Limits

router = Router(tags=["import"])


class RowErrorOut(Schema):
    sheet: str = Field(..., examples=["住户 residents"])
    row: int | None = Field(..., description="The row number as Excel shows it; null for the whole file.",
                            examples=[7])
    column: str = Field(..., examples=["手机 mobile"])
    value: str = Field(..., examples=["1381234"])
    reason_zh: str
    reason_en: str = Field(..., examples=["not a mainland mobile number (11 digits starting with 13–19)"])


class OutcomeCounts(Schema):
    created: int
    updated: int
    unchanged: int


class ImportCounts(Schema):
    buildings: OutcomeCounts
    units: OutcomeCounts
    houses: OutcomeCounts
    persons: OutcomeCounts
    residencies: OutcomeCounts
    vehicles: OutcomeCounts


class ImportReportOut(Schema):
    ok: bool
    dry_run: bool
    mode: str = Field(..., examples=["upsert"])
    filename: str
    sha256: str
    rows: int = Field(..., description="Data rows read, over all sheets.")
    counts: ImportCounts = Field(..., description="What was (in a dry run: would be) created, updated or left "
                                                  "unchanged.")
    error_total: int
    errors: list[RowErrorOut]


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.get("/estates/{estate_id}/registry/template.xlsx", summary="Download the registry import template",
            response={200: None, 403: ErrorOut, 404: ErrorOut})
def registry_template(request, estate_id: int):
    """An empty workbook with the three sheets 房屋 houses, 住户 residents and 车辆 vehicles, their bilingual headers,
    and a notes sheet explaining every column and its allowed values. For staff who may import."""
    actor = api_actor(request, estate_id)
    if not can_import(actor):
        raise Forbidden()
    return _xlsx(template_workbook(), "gongzhi-registry-template.xlsx")


@router.post("/estates/{estate_id}/registry/import", summary="Import houses, residents and vehicles from .xlsx or .csv",
             response={200: ImportReportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                       422: ErrorOut})
def registry_import(request, estate_id: int, file: File[UploadedFile], dry_run: Form[bool] = False,
                    mode: Form[str] = UPSERT):
    """Upload an .xlsx workbook (any of the sheets 房屋 houses, 住户 residents, 车辆 vehicles) or a .csv file of
    one kind (recognised from its headers) as multipart field `file`.

    Every row is checked first. If any row is bad, nothing is written and the answer is 400 with
    `code: "import_invalid"` and `detail.errors`: every problem with its sheet, row (as Excel numbers it),
    column, value and reason in Chinese and English. Otherwise everything is written in one transaction and the
    answer is 200 with the counts of created, updated and unchanged objects.

    `dry_run=true` checks and counts without writing. `mode=upsert` (default) creates new rows and updates
    existing ones (re-importing a file never duplicates); `mode=create` rejects rows that already exist.
    """
    actor = api_actor(request, estate_id)
    if not can_import(actor):
        raise Forbidden()
    limit = Limits.from_settings().max_bytes
    # A file over the limit is refused without reading it; read_file words the report.
    data = file.read(limit + 1)
    report = import_registry(actor=actor, filename=file.name or "upload", data=data, dry_run=dry_run, mode=mode,
                             size=file.size)
    if not report.ok:
        raise report.as_error()
    return report.as_dict()


@router.get("/estates/{estate_id}/registry/export.xlsx", summary="Export the registry to .xlsx",
            response={200: None, 403: ErrorOut, 404: ErrorOut})
def registry_export(request, estate_id: int):
    """Every house, every current residency with its person, and every registered vehicle, in the template's
    format (the file imports again unchanged). Managers and customer service; mobile and ID numbers are masked
    for roles that do not see them in full. The export is recorded in the audit log."""
    actor = api_actor(request, estate_id)
    return _xlsx(export_registry(actor=actor), f"gongzhi-registry-{actor.estate.pk}.xlsx")
