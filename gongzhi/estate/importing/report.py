"""What an import says back: every bad row (sheet, row, column, value, reason in Chinese and English) and the
counts of what was, or in a dry run would be, created, updated or left unchanged."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError

# A file with thousands of bad rows is reported in full up to this many problems; the rest are counted.
MAX_REPORTED_ERRORS = 1000

COUNT_KINDS = ("buildings", "units", "houses", "persons", "residencies", "vehicles")
OUTCOMES = ("created", "updated", "unchanged")


def render(reason: Any, params: dict[str, Any], language: str) -> str:
    with translation.override(language):
        text = str(reason)
        return text % params if params else text


def shown(value: Any) -> str:
    """A cell value as the user typed it, for the report (integral floats without '.0', long text cut)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the row number the user sees in Excel (the header is usually row 1); it is None
    for problems with the whole file. ``column`` is the header as written in the file (or, for a missing column,
    the header the template uses)."""

    sheet: str
    row: int | None
    column: str
    value: str
    reason_zh: str
    reason_en: str

    def reason(self, language: str | None = None) -> str:
        language = language or translation.get_language() or "zh-hans"
        return self.reason_en if language.startswith("en") else self.reason_zh

    def describe(self, language: str | None = None) -> str:
        """'sheet 住户 residents, row 7, column 手机 mobile: '1381234' — <reason>' for the CLI and logs."""
        parts = [f"sheet {self.sheet}" if self.sheet else "file"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        where = ", ".join(parts)
        value = f" {self.value!r}" if self.value else ""
        return f"{where}:{value} — {self.reason(language)}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}


class Problems:
    """Collects RowErrors while a file is checked; keeps the first MAX_REPORTED_ERRORS and counts all."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.total = 0
        self._order: dict[str, int] = {}

    def add(self, sheet: str, row: int | None, column: str, value: Any, reason: Any, /, **params: Any) -> None:
        self.total += 1
        if len(self.errors) >= MAX_REPORTED_ERRORS:
            return
        self._order.setdefault(sheet, len(self._order))
        self.errors.append(RowError(sheet=sheet, row=row, column=column, value=shown(value),
                                    reason_zh=render(reason, params, "zh-hans"), reason_en=render(reason, params, "en")))

    def __bool__(self) -> bool:
        return self.total > 0

    def sorted(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (self._order.get(e.sheet, 0), e.row or 0))


def empty_counts() -> dict[str, dict[str, int]]:
    return {kind: dict.fromkeys(OUTCOMES, 0) for kind in COUNT_KINDS}


@dataclass
class ImportReport:
    filename: str
    sha256: str
    dry_run: bool
    mode: str
    ok: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=empty_counts)

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def tally(self, kind: str, outcomes: Counter) -> None:
        for outcome in OUTCOMES:
            self.counts[kind][outcome] += outcomes.get(outcome, 0)

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "mode": self.mode, "filename": self.filename,
                "sha256": self.sha256, "rows": self.rows, "counts": self.counts, "error_total": self.error_total,
                "errors": [e.as_dict() for e in self.errors]}

    def as_error(self) -> DomainError:
        """The DomainError the API and pages raise for a rejected file (400, code import_invalid)."""
        return DomainError(_("The file was not imported: %(count)s problems were found. Nothing was written."),
                           code="import_invalid", count=self.error_total,
                           detail={"errors": [e.as_dict() for e in self.errors], "error_total": self.error_total,
                                   "counts": self.counts})
