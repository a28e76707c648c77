"""The import API: template, import (200 / 400 / 403 / 404), export."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.estate.models import House

from .conftest import HOUSE_HEADERS, RESIDENT_HEADERS, house_row, registry_counts, resident_row, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(data: bytes, name: str = "registry.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


@pytest.fixture
def staff(api, member, estate):
    return api(member("manager", estate), [estate])


def test_a_valid_file_is_imported(staff, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()], "住户 residents": [RESIDENT_HEADERS, resident_row()]})
    response = staff.post(f"/api/v1/estates/{estate.pk}/registry/import", {"file": upload(data)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["dry_run"] is False and body["errors"] == []
    assert body["counts"]["houses"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert House.objects.filter(estate=estate).count() == 1


def test_a_dry_run_answers_the_counts_and_writes_nothing(staff, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})
    response = staff.post(f"/api/v1/estates/{estate.pk}/registry/import",
                          {"file": upload(data), "dry_run": "true", "mode": "create"})
    assert response.status_code == 200
    assert response.json()["counts"]["houses"]["created"] == 1 and response.json()["mode"] == "create"
    assert House.objects.count() == 0


def test_a_bad_file_answers_400_with_every_row_error(staff, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row(area="-1"), house_row(number="1503", area="abc")]})
    before = registry_counts()
    response = staff.post(f"/api/v1/estates/{estate.pk}/registry/import", {"file": upload(data)},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_invalid"
    assert body["message"] == "The file was not imported: 2 problems were found. Nothing was written."
    assert set(body["messages"]) == {"zh-hans", "en"}
    errors = body["detail"]["errors"]
    assert [(e["sheet"], e["row"], e["column"], e["value"]) for e in errors] == [
        ("房屋 houses", 2, "建筑面积 building area (m²)", "-1"), ("房屋 houses", 3, "建筑面积 building area (m²)", "abc")]
    assert errors[0]["reason_en"] == "must be greater than 0" and errors[0]["reason_zh"]
    assert body["detail"]["counts"]["houses"]["created"] == 0
    assert registry_counts() == before


def test_a_file_that_is_not_a_spreadsheet_answers_400(staff, estate):
    response = staff.post(f"/api/v1/estates/{estate.pk}/registry/import",
                          {"file": upload(b"MZ\x90\x00 not a workbook")})
    assert response.status_code == 400
    assert "not an Excel .xlsx workbook" in response.json()["detail"]["errors"][0]["reason_en"]


def test_an_oversized_upload_is_refused_without_reading_it(staff, estate, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = staff.post(f"/api/v1/estates/{estate.pk}/registry/import",
                          {"file": upload(b"x" * 4096, "registry.csv")})
    assert response.status_code == 400
    assert "too large" in response.json()["detail"]["errors"][0]["reason_en"]


@pytest.mark.parametrize("role", ["dispatcher", "guard", "owner"])
def test_other_roles_get_403(api, member, estate, role):
    client = api(member(role, estate), [estate])
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})
    assert client.post(f"/api/v1/estates/{estate.pk}/registry/import", {"file": upload(data)}).status_code == 403
    assert client.get(f"/api/v1/estates/{estate.pk}/registry/template.xlsx").status_code == 403
    assert client.get(f"/api/v1/estates/{estate.pk}/registry/export.xlsx").status_code == 403
    assert House.objects.count() == 0


def test_a_member_of_another_estate_gets_404(api, member, estate, other_estate):
    client = api(member("manager", other_estate), [other_estate])
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})
    assert client.post(f"/api/v1/estates/{estate.pk}/registry/import", {"file": upload(data)}).status_code == 404
    assert client.get(f"/api/v1/estates/{estate.pk}/registry/template.xlsx").status_code == 404
    assert client.get(f"/api/v1/estates/{estate.pk}/registry/export.xlsx").status_code == 404
    assert House.objects.count() == 0


def test_anonymous_callers_get_401(api, estate):
    assert api().get(f"/api/v1/estates/{estate.pk}/registry/export.xlsx").status_code == 401


def test_the_template_and_the_export_are_workbooks(staff, estate):
    staff.post(f"/api/v1/estates/{estate.pk}/registry/import",
               {"file": upload(xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))})
    for path in ("template.xlsx", "export.xlsx"):
        response = staff.get(f"/api/v1/estates/{estate.pk}/registry/{path}")
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames[:3] == ["房屋 houses", "住户 residents", "车辆 vehicles"]
    assert openpyxl.load_workbook(io.BytesIO(response.content))["房屋 houses"]["C2"].value == "1502"


def test_the_endpoints_are_documented(staff):
    schema = staff.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/estates/{estate_id}/registry/import"]["post"]
    assert post["summary"] and "dry_run" in post["description"]
    assert {"200", "400", "403", "404"} <= set(post["responses"])
    assert "/api/v1/estates/{estate_id}/registry/template.xlsx" in schema["paths"]
    assert "/api/v1/estates/{estate_id}/registry/export.xlsx" in schema["paths"]
