"""The cell values of an .xlsx workbook, read with openpyxl in read-only (streaming) mode.

openpyxl's ``values_only`` rows are the fast path (about 2 s for 20,000 rows here; building a cell object per
cell doubles that). Formulas are still recognised: with ``data_only=False`` a formula cell's value is its formula
text ("=SUM(A1:A3)"), and an error cell's value is its error code ("#N/A"); the import refuses both.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl

# The error values a cell can hold (ECMA-376 §18.17.5, plus Excel 2010's #GETTING_DATA).
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


class WorkbookError(ValueError):
    """The file is not a readable workbook."""


@dataclass(frozen=True)
class Sheet:
    title: str
    worksheet: object


class Workbook:
    def __init__(self, data: bytes):
        self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        self.epoch = self.book.epoch
        self.sheets = [Sheet(ws.title, ws) for ws in self.book.worksheets]

    def close(self) -> None:
        self.book.close()

    def rows(self, sheet: Sheet, max_columns: int) -> Iterator[tuple[int, list, list[tuple[int, str]]]]:
        """(row number, values by column position, [(position, 'f' or 'e') of formula and error cells]) for each
        row with a value. Rows are numbered as Excel shows them."""
        rows = list(self._value_rows(sheet, max_columns))
        suspects = {(number, position) for number, values in rows for position, value in enumerate(values)
                    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)}
        # A text cell may also start with "=" (Excel's quote prefix; our own export writes them): only the cell's
        # type tells it from a formula, so look at the types, on the rare sheets that have such values at all.
        kinds = self._cell_types(sheet, max_columns, suspects) if suspects else {}
        for number, values in rows:
            flagged = [(position, kinds[number, position]) for position in range(len(values))
                       if kinds.get((number, position)) in ("f", "e")]
            yield number, values, flagged

    @staticmethod
    def _value_rows(sheet: Sheet, max_columns: int) -> Iterator[tuple[int, list]]:
        worksheet = sheet.worksheet
        worksheet.reset_dimensions()  # never trust a stored <dimension>: read every row there is
        for number, row in enumerate(worksheet.iter_rows(max_col=max_columns, values_only=True), start=1):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            if values:
                yield number, values

    @staticmethod
    def _cell_types(sheet: Sheet, max_columns: int, cells: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
        last = max(number for number, _position in cells)
        kinds = {}
        for row in sheet.worksheet.iter_rows(max_row=last, max_col=max_columns):
            for position, cell in enumerate(row):
                if (getattr(cell, "row", None), position) in cells:
                    kinds[cell.row, position] = cell.data_type
        return kinds
