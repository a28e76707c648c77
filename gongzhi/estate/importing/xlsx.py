"""A streaming reader of the cell values of an .xlsx workbook (Office Open XML, ECMA-376 part 1 §18.3).

Why not openpyxl here: openpyxl writes our template and export, but reading 20,000 rows with openpyxl's read-only
mode took about 4 s on this project's 2-core machines (it builds style and rich-text objects for every cell, and
scans a whole sheet a second time when the file has no <dimension>, as openpyxl's own files do not). The import must
stay well under 10 s for 10,000 houses with their owners, so this module reads only what the import needs, from
the standard library's C XML parser (expat ≥ 2.4 refuses entity-expansion bombs), one row at a time:

- the sheets in workbook order with their names (worksheets only; chart sheets have no cells);
- each non-empty row's number and its cells by column, as str, int, float, bool or datetime (type "d");
- which cells hold a formula (a <f> element) or an error value (type "e"): the import refuses both.

Numbers are returned as numbers: whether one is a date depends on its style, so the caller converts the numbers
of its date columns with ``from_excel`` and the workbook's ``epoch``.
"""

import datetime
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import XMLPullParser

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.utils.escape import unescape

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHUNK = 1 << 16


class WorkbookError(ValueError):
    """The archive is not a readable workbook."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _parse(archive: zipfile.ZipFile, name: str):
    try:
        with archive.open(name) as stream:
            parser = XMLPullParser(events=("end",))
            while chunk := stream.read(CHUNK):
                parser.feed(chunk)
                yield from parser.read_events()
            parser.close()
            yield from parser.read_events()
    except KeyError:
        raise WorkbookError(f"missing part {name}") from None


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target path inside the archive) of a part's relationships."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    rels = {}
    for _event, element in _parse(archive, rels_name):
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            rels[element.get("Id", "")] = (element.get("Type", ""), path)
    return rels


@dataclass
class Sheet:
    title: str
    path: str


class Workbook:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        office = [path for kind, path in _relationships(archive, "").values() if kind.endswith("/officeDocument")]
        if not office:
            raise WorkbookError("no workbook part")
        self.path = office[0]
        rels = _relationships(archive, self.path)
        self.epoch = CALENDAR_WINDOWS_1900
        self.sheets: list[Sheet] = []
        for _event, element in _parse(archive, self.path):
            name = _local(element.tag)
            if name == "workbookPr" and element.get("date1904", "").lower() in {"1", "true"}:
                self.epoch = CALENDAR_MAC_1904
            elif name == "sheet":
                kind, path = rels.get(element.get(f"{{{REL_NS}}}id", ""), ("", ""))
                if kind.endswith("/worksheet"):
                    self.sheets.append(Sheet(title=element.get("name", ""), path=path))
        strings = [path for kind, path in rels.values() if kind.endswith("/sharedStrings")]
        self.shared_strings = self._shared_strings(strings[0]) if strings else []

    def _shared_strings(self, path: str) -> list[str]:
        strings = []
        for _event, element in _parse(self.archive, path):
            if _local(element.tag) == "si":
                strings.append(_text(element))
                element.clear()
        return strings

    def rows(self, sheet: Sheet, max_columns: int) -> Iterator[tuple[int, list, list[tuple[int, str]]]]:
        """(row number, values by column position, [(position, 'f' or 'e') of formula and error cells])."""
        shared = self.shared_strings
        counter = 0
        row_tag = ""
        for _event, element in _parse(self.archive, sheet.path):
            tag = element.tag
            if not row_tag:
                # The namespace of the first element closed (a <v> or <c>) is the sheet's; compare whole tags.
                row_tag = tag[: tag.index("}") + 1] + "row" if tag.startswith("{") else "row"
                tags = _Tags(row_tag[:-3])
            if tag != row_tag:
                continue
            counter = int(element.get("r") or counter + 1)
            values: list = []
            flagged: list[tuple[int, str]] = []
            position = -1
            for cell in element:
                reference = cell.get("r")
                position = _column(reference) if reference else position + 1
                if position >= max_columns:
                    continue
                value, flag = _value(cell, shared, tags)
                if value is None:
                    continue
                if len(values) <= position:
                    values.extend([None] * (position + 1 - len(values)))
                values[position] = value
                if flag:
                    flagged.append((position, flag))
            element.clear()
            if values:
                yield counter, values, flagged


class _Tags:
    __slots__ = ("f", "inline", "r", "t", "v")

    def __init__(self, ns: str):
        self.v, self.f, self.inline, self.t, self.r = (ns + "v", ns + "f", ns + "is", ns + "t", ns + "r")


def _column(reference: str) -> int:
    """'B12' → 1 (zero-based)."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number - 1


def _text(element) -> str:
    """The text of a shared or inline string: plain or rich-text runs, without phonetic guides (rPh)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    text = "".join(parts)
    return unescape(text) if "_x" in text else text


def _value(cell, shared: list[str], tags: _Tags):
    kind = cell.get("t", "n")
    raw = formula = inline = None
    for child in cell:
        tag = child.tag
        if tag == tags.v:
            raw = child.text
        elif tag == tags.f:
            formula = child
        elif tag == tags.inline:
            inline = child
    if formula is not None:
        return "=" + (formula.text or ""), "f"
    if kind == "inlineStr":
        if inline is None:
            return None, None
        first = inline[0] if len(inline) == 1 else None
        if first is not None and first.tag == tags.t:
            text = first.text or ""
            return (unescape(text) if "_x" in text else text), None
        return _text(inline), None
    if raw is None:
        return None, None
    if kind == "s":
        return shared[int(raw)], None
    if kind == "str":
        return raw, None
    if kind == "b":
        return raw.strip() in {"1", "true"}, None
    if kind == "e":
        return raw, "e"
    if kind == "d":
        return datetime.datetime.fromisoformat(raw.strip().rstrip("Z")), None
    raw = raw.strip()
    if raw.lstrip("-").isdigit():
        return int(raw), None
    return float(raw), None
