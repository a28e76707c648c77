"""The console's import wizard: the form, the report row by row, the downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gongzhi.estate.models import House

from .conftest import HOUSE_HEADERS, RESIDENT_HEADERS, house_row, registry_counts, resident_row, xlsx


@pytest.fixture
def signed_in(member, estate):
    def make(role="manager", where=None):
        client = Client()
        client.force_login(member(role, where or estate))
        return client

    return make


def url(estate, name="import"):
    return reverse(f"estate:{name}", args=[estate.pk])


def test_the_wizard_shows_the_upload_form_and_the_template_link(signed_in, estate):
    response = signed_in().get(url(estate))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html and 'name="dry_run"' in html
    assert url(estate, "import_template") in html and url(estate, "export") in html


def test_a_bad_file_shows_every_row_error_and_writes_nothing(signed_in, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()],
                 "住户 residents": [RESIDENT_HEADERS, resident_row(mobile="1381234")]})
    before = registry_counts()
    client = signed_in()
    client.cookies["django_language"] = "en"
    response = client.post(url(estate), {"file": SimpleUploadedFile("registry.xlsx", data), "mode": "upsert"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "住户 residents" in html and "<td>2</td>" in html and "手机 mobile" in html and "1381234" in html
    assert "not a mainland mobile number" in html
    assert "Nothing was written" in html
    assert registry_counts() == before


def test_a_good_file_is_imported_and_counted(signed_in, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row(), house_row(number="1501")]})
    response = signed_in("customer_service").post(url(estate), {"file": SimpleUploadedFile("registry.xlsx", data),
                                                                "mode": "upsert"})
    assert response.status_code == 200
    assert 'data-ok="true"' in response.content.decode()
    assert House.objects.filter(estate=estate).count() == 2


def test_a_dry_run_on_the_page_writes_nothing(signed_in, estate):
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})
    response = signed_in().post(url(estate), {"file": SimpleUploadedFile("registry.xlsx", data), "dry_run": "on",
                                              "mode": "create"})
    assert response.status_code == 200 and 'data-ok="true"' in response.content.decode()
    assert House.objects.count() == 0


def test_the_downloads_are_workbooks(signed_in, estate):
    client = signed_in()
    for name in ("import_template", "export"):
        response = client.get(url(estate, name))
        assert response.status_code == 200
        assert response.content.startswith(b"PK\x03\x04")


@pytest.mark.parametrize("role", ["dispatcher", "owner"])
def test_other_roles_are_forbidden(signed_in, estate, role):
    client = signed_in(role)
    assert client.get(url(estate)).status_code == 403
    assert client.get(url(estate, "import_template")).status_code == 403
    assert client.get(url(estate, "export")).status_code == 403


def test_members_of_another_estate_get_404_and_anonymous_visitors_sign_in(signed_in, estate, other_estate):
    client = signed_in("manager", other_estate)
    for name in ("import", "import_template", "export"):
        assert client.get(url(estate, name)).status_code == 404
        response = Client().get(url(estate, name))
        assert response.status_code == 302 and "login" in response["Location"]
