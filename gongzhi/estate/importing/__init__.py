"""Registry import from .xlsx / .csv and export to .xlsx (houses, residents, vehicles).

    template_workbook() -> bytes
    import_registry(*, actor, filename, data, dry_run=False, mode="upsert") -> ImportReport
    export_registry(*, actor) -> bytes
"""

from .report import ImportReport, RowError
from .service import can_import, import_registry
from .workbooks import XLSX_CONTENT_TYPE, can_export, export_registry, template_workbook

__all__ = ["XLSX_CONTENT_TYPE", "ImportReport", "RowError", "can_export", "can_import", "export_registry",
           "import_registry", "template_workbook"]
