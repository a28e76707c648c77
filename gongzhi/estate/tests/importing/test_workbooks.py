"""The template and the export: their sheets and headers, the round trip, formula injection, masking."""

import io
from decimal import Decimal

import openpyxl
import pytest

from gongzhi.core.errors import Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.importing import export_registry, import_registry, template_workbook
from gongzhi.estate.importing.columns import SHEETS
from gongzhi.estate.tests.factories import (
    HouseFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)

from .conftest import HOUSE_HEADERS, RESIDENT_HEADERS, VEHICLE_HEADERS, registry_counts


def sheets_of(content: bytes) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in workbook.worksheets}


def test_the_template_has_the_three_sheets_with_bilingual_headers_and_notes():
    sheets = sheets_of(template_workbook())
    assert list(sheets) == ["房屋 houses", "住户 residents", "车辆 vehicles", "说明 notes"]
    assert list(sheets["房屋 houses"][0]) == HOUSE_HEADERS
    assert list(sheets["住户 residents"][0]) == RESIDENT_HEADERS
    assert list(sheets["车辆 vehicles"][0]) == VEHICLE_HEADERS
    notes = sheets["说明 notes"]
    kind_note = next(row for row in notes if row[1] == "身份 relation")
    assert kind_note[2] == "是 yes"
    assert all(code in kind_note[3] for code in ("owner", "co_owner", "family", "tenant"))
    assert any(row[1] == "房屋 house" for row in notes), "the one-column house reference is explained"


def test_the_blank_template_imports_as_headers_without_rows(manager):
    report = import_registry(actor=manager, filename="template.xlsx", data=template_workbook())
    assert not report.ok
    assert [e.reason_en for e in report.errors] == ["The file has headers but no rows: there is nothing to import."]


def test_header_spellings_do_not_collide_within_a_sheet():
    for spec in SHEETS.values():
        seen: dict[str, str] = {}
        for column in spec.columns:
            for name in column.names():
                assert seen.setdefault(name, column.key) == column.key, (spec.kind, name)


@pytest.fixture
def registry(estate):
    """A small registry: two houses, co-owners with shares, a tenant, vehicles, a developer-held house."""
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    home = HouseFactory(unit=unit, number="1502", floor=15, area_m2=Decimal("89.50"), inner_area_m2=Decimal("72.3"))
    shop = HouseFactory(unit=unit, number="0101", kind="commercial", developer_held=True, status="unsold",
                        area_m2=Decimal("120"))
    first = ResidencyFactory(house=home, kind="co_owner", share=Decimal("0.5"), is_representative=True)
    ResidencyFactory(house=home, kind="co_owner", share=Decimal("0.5"), is_representative=False)
    ResidencyFactory(house=shop, kind="tenant", is_representative=False, person__mobile="13912345678",
                     person__id_number="", person__id_type="")
    VehicleFactory(house=home, person=first.person, plate="京A12345")
    VehicleFactory(house=home, person=None, plate="沪AD12345", kind="new_energy")
    return home


@pytest.mark.parametrize("role", ["manager", "customer_service"])
def test_an_export_imports_again_unchanged(actor_for, estate, registry, role):
    # given a registry exported by a role that may export (customer service sees ID numbers masked)
    actor = actor_for(role, estate)
    content = export_registry(actor=actor)
    before = registry_counts()
    # when the export is imported again
    report = import_registry(actor=actor, filename="export.xlsx", data=content)
    # then nothing is created or updated
    assert report.ok, report.errors
    for kind, outcome in report.counts.items():
        assert outcome["created"] == outcome["updated"] == 0, (kind, outcome)
    assert report.counts["houses"]["unchanged"] == 2
    assert report.counts["residencies"]["unchanged"] == 3
    assert report.counts["vehicles"]["unchanged"] == 2
    assert registry_counts() == before


def test_the_export_masks_id_numbers_for_customer_service_only(actor_for, estate, registry):
    person = registry.residencies.order_by("pk").first().person
    for role, shown in (("manager", person.id_number), ("customer_service", f"{person.id_number[:3]}***********"
                                                                            f"{person.id_number[-4:]}")):
        residents = sheets_of(export_registry(actor=actor_for(role, estate)))["住户 residents"]
        row = next(r for r in residents if r[3] == person.name)
        assert row[6] == shown
        assert row[4] == person.mobile


def test_a_masked_number_that_does_not_match_is_refused(actor_for, estate, registry):
    from .conftest import resident_row, xlsx

    data = xlsx({"住户 residents": [RESIDENT_HEADERS, resident_row(mobile="13800000001",
                                                                  id_number="110***********9999")]})
    report = import_registry(actor=actor_for("manager", estate), filename="a.xlsx", data=data)
    assert not report.ok
    assert "masked" in report.errors[0].reason_en


def test_the_export_never_lets_excel_evaluate_a_cell(actor_for, estate):
    # given names that a spreadsheet would take for formulas
    unit = UnitFactory(building__estate=estate, building__name="A", name="1")
    house = HouseFactory(unit=unit, number="101")
    for n, name in enumerate(['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]):
        ResidencyFactory(house=house, kind="family", is_representative=False,
                         person=PersonFactory(estate=estate, name=name, mobile=f"1381234560{n}"))
    content = export_registry(actor=actor_for("manager", estate))
    # then every such cell is a plain string cell with Excel's quote prefix, never a formula
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = [row[3] for row in workbook["住户 residents"].iter_rows(min_row=2)]
    assert {c.value for c in cells} == {'=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    # and the file still imports unchanged: a text cell is not a formula
    report = import_registry(actor=actor_for("manager", estate), filename="export.xlsx", data=content)
    assert report.ok, report.errors
    assert report.counts["persons"]["unchanged"] == 4


@pytest.mark.parametrize("role", ["dispatcher", "finance", "technician", "owner", "committee_chair"])
def test_only_managers_and_customer_service_may_export(actor_for, estate, registry, role):
    with pytest.raises(Forbidden):
        export_registry(actor=actor_for(role, estate))


def test_an_export_is_recorded_in_the_audit_log(actor_for, estate, registry):
    actor = actor_for("manager", estate)
    export_registry(actor=actor)
    entry = AuditEntry.objects.get(action="registry.export")
    assert entry.actor_id == actor.user.pk
    assert entry.after["houses"] == 2 and entry.after["residents"] == 3 and entry.after["vehicles"] == 2
