"""Workbooks as Excel writes them (shared strings, rich text, phonetic guides, dates as numbers, sparse rows),
which openpyxl, writing inline strings, never produces; the reader must take both."""

import datetime
import io
import zipfile

from gongzhi.estate.importing import import_registry
from gongzhi.estate.models import House, Residency

from .conftest import HOUSE_HEADERS, RESIDENT_HEADERS

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_workbook(sheets: dict[str, list[list]], strings: list[str], date1904: bool = False) -> bytes:
    """A workbook laid out as Excel lays it out. Cells: ('s', index) shared string, ('n', number), ('b', 0/1),
    ('f', formula), None for no cell at all."""
    def cell(ref, value):
        kind, raw = value
        if kind == "s":
            return f'<c r="{ref}" t="s"><v>{raw}</v></c>'
        if kind == "b":
            return f'<c r="{ref}" t="b"><v>{raw}</v></c>'
        if kind == "f":
            return f'<c r="{ref}"><f>{raw}</f><v>0</v></c>'
        return f'<c r="{ref}" s="1"><v>{raw}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SML}.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SML}.sharedStrings+xml"/>'
                   f"{sheet_types}</Types>")
        z.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        rels = [f'<Relationship Id="rId{i}" Type="{DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)]
        rels.append(f'<Relationship Id="rIdS" Type="{DOC}/sharedStrings" Target="/xl/sharedStrings.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        entries = "".join(f'<sheet name="{title}" sheetId="{i}" r:id="rId{i}"/>'
                          for i, title in enumerate(sheets, start=1))
        pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
        z.writestr("xl/workbook.xml", f"<workbook {NS} {RNS}>{pr}<sheets>{entries}</sheets></workbook>")
        z.writestr("xl/sharedStrings.xml", f"<sst {NS}>{''.join(strings)}</sst>")
        for i, rows in enumerate(sheets.values(), start=1):
            xml_rows = []
            for number, row in rows:
                cells = "".join(cell(f"{chr(65 + col)}{number}", value) for col, value in enumerate(row)
                                if value is not None)
                xml_rows.append(f'<row r="{number}">{cells}</row>')
            z.writestr(f"xl/worksheets/sheet{i}.xml", f"<worksheet {NS}><sheetData>{''.join(xml_rows)}</sheetData>"
                                                      f"</worksheet>")
    return out.getvalue()


def test_a_workbook_as_excel_writes_it_is_read(manager, estate):
    # given shared strings (one in rich-text runs, one with a phonetic guide), sparse rows, a date serial number
    plain = [f"<si><t>{h}</t></si>" for h in HOUSE_HEADERS + RESIDENT_HEADERS]
    strings = [*plain,
               "<si><r><t>3</t></r><r><rPr><b/></rPr><t>栋</t></r></si>",          # rich text: "3栋"
               "<si><t>张三</t><rPh sb=\"0\" eb=\"2\"><t>ZHANG SAN</t></rPh></si>",  # with a phonetic guide
               "<si><t>owner</t></si>", "<si><t>13812345678</t></si>"]
    n_house, n_res = len(HOUSE_HEADERS), len(RESIDENT_HEADERS)
    rich, name, owner, mobile = (len(plain) + i for i in range(4))
    houses = [(1, [("s", i) for i in range(n_house)]),
              (4, [("s", rich), ("n", 2), ("n", 1502), None, None, ("n", 89.5)])]  # rows 2-3 left empty
    residents = [(1, [("s", n_house + i) for i in range(n_res)]),
                 (2, [("n", 3), ("n", 2), ("n", 1502), ("s", name), ("s", mobile), None, None, ("s", owner), None,
                      ("b", 1), ("n", 43831)])]
    data = excel_workbook({"房屋 houses": houses, "住户 residents": residents}, strings)
    # when it is imported
    report = import_registry(actor=manager, filename="excel.xlsx", data=data)
    # then every value is read as Excel shows it
    assert report.ok, report.errors
    house = House.objects.get()
    assert (house.code, str(house.area_m2)) == ("3-2-1502", "89.50")
    residency = Residency.objects.get()
    assert residency.person.name == "张三"
    assert residency.is_representative is True
    assert residency.start_date == datetime.date(2020, 1, 1)


def test_rows_are_numbered_as_excel_numbers_them_and_formulas_found(manager, estate):
    strings = [f"<si><t>{h}</t></si>" for h in HOUSE_HEADERS]
    houses = [(1, [("s", i) for i in range(len(HOUSE_HEADERS))]),
              (7, [("n", 3), ("n", 2), ("n", 1502), None, None, ("f", "SUM(F1:F3)")])]
    report = import_registry(actor=manager, filename="excel.xlsx",
                             data=excel_workbook({"房屋 houses": houses}, strings))
    assert [(e.row, e.column, e.value) for e in report.errors] == [(7, "建筑面积 building area (m²)", "=SUM(F1:F3)")]
    assert House.objects.count() == 0
