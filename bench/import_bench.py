"""Import benchmark: 10,000 houses and their owners from one .xlsx, on SQLite and on PostgreSQL.

  1. builds the workbook once from the real template (``template_workbook()``): the houses sheet with 10,000
     houses (25 buildings × 4 units × 25 floors × 4 houses, numbers as text, areas as numbers, as a spreadsheet
     holds them) and the residents sheet with one owner row each (name, mobile, resident ID number with a valid
     check digit, voting representative, start date);
  2. for each database: a fresh, migrated database with an empty estate and its manager; then, in the same
     process, the floor (reading every row of the same workbook with openpyxl alone: read_only, values_only) and
     the import itself, ``import_registry(actor=..., filename=..., data=..., dry_run=False)``, timed with
     time.perf_counter; the figures count only if the report is ok and the database then holds 10,000 houses,
     10,000 persons and 10,000 residencies.

Target: at most 10 s on each database. Run: ``.venv/bin/python bench/import_bench.py [sqlite|postgresql]``
(bench/run.py runs it and rewrites bench/README.md).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Database, child_env, database, database_kinds, last_json_line, run_child, setup_django

HOUSES = 10_000
BUILDINGS, UNITS, FLOORS, DOORS = 25, 4, 25, 4
TARGET_SECONDS = 10.0
FILENAME = "registry-10000.xlsx"

assert BUILDINGS * UNITS * FLOORS * DOORS == HOUSES


# --- the workbook ------------------------------------------------------------------------------------------------
def build_workbook(path: Path) -> dict:
    """Fills the registry template with 10,000 houses and one owner row for each; returns what it wrote."""
    import datetime
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from gongzhi.estate.importing import template_workbook
    from gongzhi.estate.importing.columns import HOUSES_SHEET, RESIDENTS_SHEET
    from gongzhi.estate.validators import id_checksum

    workbook = load_workbook(io.BytesIO(template_workbook()))

    def positions(title: str) -> dict[str, int]:
        """Column position by key, read from the template's own header row."""
        sheet = workbook[title]
        spec = HOUSES_SHEET if title == HOUSES_SHEET.title else RESIDENTS_SHEET
        index = spec.header_index()
        from gongzhi.estate.importing.columns import normalise_header

        return {index[normalise_header(cell.value)].key: cell.column for cell in sheet[1] if cell.value}

    houses, residents = workbook[HOUSES_SHEET.title], workbook[RESIDENTS_SHEET.title]
    hcol, rcol = positions(HOUSES_SHEET.title), positions(RESIDENTS_SHEET.title)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
    row = 1
    for b in range(1, BUILDINGS + 1):
        for u in range(1, UNITS + 1):
            for floor in range(1, FLOORS + 1):
                for door in range(1, DOORS + 1):
                    row += 1
                    i = row - 2
                    number = f"{floor}{door:02d}"
                    area = 60 + (i * 37) % 100 + 0.45
                    values = {"building": str(b), "unit": str(u), "number": number, "floor": floor,
                              "kind": "residential", "area_m2": area,
                              "inner_area_m2": float((Decimal(str(area)) * Decimal("0.8")).quantize(Decimal("0.01"))),
                              "area_source": "register", "status": "occupied", "developer_held": "否"}
                    for key, value in values.items():
                        houses.cell(row=row, column=hcol[key], value=value)
                    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 900)
                    first17 = f"110105{birth:%Y%m%d}{i % 900 + 100:03d}"
                    owner = {"building": str(b), "unit": str(u), "number": number,
                             "name": surnames[i % len(surnames)] + given[(i // len(surnames)) % len(given)]
                             + given[i % len(given)],
                             "mobile": f"139{i:08d}", "id_type": "resident_id",
                             "id_number": first17 + id_checksum(first17), "kind": "owner",
                             "is_representative": "是",
                             "start_date": datetime.date(2018, 1, 1) + datetime.timedelta(days=i % 1500)}
                    for key, value in owner.items():
                        residents.cell(row=row, column=rcol[key], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return {"houses": row - 1, "residents": row - 1, "bytes": path.stat().st_size}


# --- one database (child process) --------------------------------------------------------------------------------
def read_floor(data: bytes) -> tuple[float, int]:
    """The floor: every row of every sheet read by openpyxl alone (read_only, values_only)."""
    import io

    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    rows = 0
    for sheet in workbook.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            rows += 1
    workbook.close()
    return time.perf_counter() - started, rows


def time_import(path: Path) -> dict:
    setup_django()
    from django.db import connection

    from gongzhi.accounts.models import Membership
    from gongzhi.accounts.services import user_create
    from gongzhi.core.access import resolve_actor
    from gongzhi.estate.importing import import_registry
    from gongzhi.estate.models import Company, Estate, House, Person, Residency

    estate = Estate.objects.create(company=Company.objects.create(name="明强物业"), name="明强小区")
    user = user_create(actor_user=None, phone="19900008888", name="导入经理", password=None)
    Membership.objects.create(user=user, estate=estate, role="manager")
    actor = resolve_actor(user, estate.pk)
    data = path.read_bytes()

    floor_seconds, floor_rows = read_floor(data)
    started = time.perf_counter()
    report = import_registry(actor=actor, filename=path.name, data=data, dry_run=False)
    seconds = time.perf_counter() - started
    if not report.ok:
        shown = [e.describe("en") for e in report.errors[:10]]
        raise RuntimeError(f"the import was rejected ({report.error_total} problems), e.g.:\n" + "\n".join(shown))
    stored = {"houses": House.objects.filter(estate=estate).count(),
              "persons": Person.objects.filter(estate=estate).count(),
              "residencies": Residency.objects.filter(estate=estate).count()}
    if stored != {"houses": HOUSES, "persons": HOUSES, "residencies": HOUSES}:
        raise RuntimeError(f"the import reported ok but the database holds {stored}")
    return {"seconds": seconds, "floor_seconds": floor_seconds, "floor_rows": floor_rows, "stored": stored,
            "counts": report.counts, "vendor": connection.vendor}


# --- orchestration -----------------------------------------------------------------------------------------------
def bench_database(db: Database, workbook: Path) -> dict:
    out = last_json_line(run_child([str(Path(__file__).resolve()), "--time", str(workbook)], child_env(db)))
    ratio = out["seconds"] / out["floor_seconds"]
    print(f"  {db.label:10} import {HOUSES:,} houses + owners: {out['seconds']:6.2f} s   "
          f"(openpyxl read alone {out['floor_seconds']:.2f} s, ×{ratio:.1f})", flush=True)
    return {"bench": "import", "db": db.label, "name": f"import {HOUSES:,} houses + owners (.xlsx)",
            "seconds": out["seconds"], "floor_seconds": out["floor_seconds"], "ratio_to_floor": ratio,
            "stored": out["stored"], "passed": out["seconds"] <= TARGET_SECONDS}


def run(kinds: list[str] | None = None) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="gz-bench-xlsx-") as tmp:
        workbook = Path(tmp) / FILENAME
        runnable = [(k, s) for k, s in database_kinds(kinds)]
        with database("sqlite") as db:  # any configured database will do to run template_workbook()
            built = last_json_line(run_child([str(Path(__file__).resolve()), "--build", str(workbook)],
                                             child_env(db)))
        print(f"  workbook: {built['houses']:,} houses, {built['residents']:,} residents, "
              f"{built['bytes'] / 1e6:.1f} MB", flush=True)
        for kind, skipped in runnable:
            if skipped:
                print(f"  skipping {kind}: {skipped}", flush=True)
                results.append({"bench": "import", "db": kind, "skipped": skipped})
                continue
            with database(kind) as db:
                result = bench_database(db, workbook)
                result["workbook"] = built
                results.append(result)
    return results


def main(argv: list[str]) -> None:
    if argv[:1] == ["--build"]:
        setup_django()
        print(json.dumps(build_workbook(Path(argv[1]))))
        return
    if argv[:1] == ["--time"]:
        print(json.dumps(time_import(Path(argv[1]))))
        return
    print(json.dumps(run(argv or None), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
