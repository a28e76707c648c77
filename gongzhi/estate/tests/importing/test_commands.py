"""manage.py import_registry and export_registry."""

import pytest
from django.core.management import CommandError, call_command

from gongzhi.estate.models import House

from .conftest import HOUSE_HEADERS, RESIDENT_HEADERS, house_row, registry_counts, resident_row, xlsx


@pytest.fixture
def manager_phone(member, estate):
    return member("manager", estate).phone


def test_the_command_imports_a_file(tmp_path, estate, manager_phone, capsys):
    path = tmp_path / "registry.xlsx"
    path.write_bytes(xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()], "住户 residents": [RESIDENT_HEADERS,
                                                                                      resident_row()]}))
    call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", manager_phone)
    assert "houses: 1 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert House.objects.filter(estate=estate).count() == 1


def test_the_command_lists_every_bad_row_and_fails(tmp_path, estate, manager_phone, capsys):
    path = tmp_path / "registry.xlsx"
    path.write_bytes(xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()],
                           "住户 residents": [RESIDENT_HEADERS, resident_row(), resident_row(name="李四", mobile="1381234",
                                                                                          representative=None)]}))
    before = registry_counts()
    with pytest.raises(CommandError, match="1 problems found"):
        call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", manager_phone,
                     "--language", "en")
    err = capsys.readouterr().err
    assert "sheet 住户 residents, row 3, column 手机 mobile: '1381234' — not a mainland mobile number" in err
    assert registry_counts() == before


def test_dry_run_and_create_mode(tmp_path, estate, manager_phone, capsys):
    path = tmp_path / "houses.csv"
    path.write_text("楼栋 building,单元 unit,房号 number,建筑面积 building area (m²)\n3,2,1502,89.5\n",
                    encoding="utf-8")
    call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", manager_phone, "--dry-run")
    assert "dry run" in capsys.readouterr().out and House.objects.count() == 0
    call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", manager_phone)
    with pytest.raises(CommandError):
        call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", manager_phone,
                     "--mode", "create", "--language", "en")
    assert "already in the registry" in capsys.readouterr().err


def test_the_command_runs_only_as_a_member_who_may_import(tmp_path, estate, other_estate, member):
    path = tmp_path / "houses.csv"
    path.write_text("楼栋,单元,房号,建筑面积\n3,2,1502,89.5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a member"):
        call_command("import_registry", str(path), "--estate", str(estate.pk), "--as",
                     member("manager", other_estate).phone)
    with pytest.raises(CommandError, match="permission"):
        call_command("import_registry", str(path), "--estate", str(estate.pk), "--as",
                     member("guard", estate).phone, "--language", "en")
    with pytest.raises(CommandError, match="no user"):
        call_command("import_registry", str(path), "--estate", str(estate.pk), "--as", "13000000000")
    assert House.objects.count() == 0


def test_export_writes_a_file_that_imports_unchanged(tmp_path, estate, manager_phone, capsys):
    source = tmp_path / "registry.xlsx"
    source.write_bytes(xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    call_command("import_registry", str(source), "--estate", str(estate.pk), "--as", manager_phone)
    output = tmp_path / "export.xlsx"
    call_command("export_registry", str(output), "--estate", str(estate.pk), "--as", manager_phone)
    assert output.read_bytes().startswith(b"PK\x03\x04")
    capsys.readouterr()
    call_command("import_registry", str(output), "--estate", str(estate.pk), "--as", manager_phone)
    assert "houses: 0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
