"""After a clean dry run the wizard offers "import this file now": the checked file, never a second upload."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongzhi.estate.importing import staging
from gongzhi.estate.models import House

from .conftest import HOUSE_HEADERS, house_row, registry_counts, xlsx


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(member, estate):
    client = Client()
    client.force_login(member("customer_service", estate))
    return client


def url(estate):
    return reverse("estate:import", args=[estate.pk])


def dry_run(client, estate, data: bytes):
    upload = SimpleUploadedFile("houses.xlsx", data)
    return client.post(url(estate), {"file": upload, "dry_run": "on", "mode": "upsert"})


def staged_of(response) -> str:
    return re.search(r'name="staged" value="([0-9a-f]{64})"', response.content.decode()).group(1)


def test_a_checked_file_is_imported_without_a_second_upload(clerk, estate):
    # given a dry run that passed
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row(number="1502"), house_row(number="1602")]})
    checked = dry_run(clerk, estate, data)
    assert checked.status_code == 200 and House.objects.count() == 0
    sha256 = staged_of(checked)

    # when the clerk presses "import this file now"
    response = clerk.post(url(estate), {"staged": sha256, "filename": "houses.xlsx", "mode": "upsert"})

    # then exactly that file is imported, and the staged copy is gone
    assert response.status_code == 200
    assert sorted(House.objects.values_list("number", flat=True)) == ["1502", "1602"]
    assert not default_storage.exists(f"imports/{estate.pk}/{sha256}")


def test_another_estate_cannot_import_a_file_staged_here(clerk, estate, other_estate, member):
    sha256 = staged_of(dry_run(clerk, estate, xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})))
    outsider = Client()
    outsider.force_login(member("manager", other_estate))
    before = registry_counts()

    response = outsider.post(url(other_estate), {"staged": sha256, "filename": "x.xlsx", "mode": "upsert"})

    assert response.status_code == 410
    assert registry_counts() == before


def test_a_staged_file_changed_on_disk_is_refused(clerk, estate):
    sha256 = staged_of(dry_run(clerk, estate, xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})))
    path = f"imports/{estate.pk}/{sha256}"
    default_storage.delete(path)
    default_storage.save(path, ContentFile(b"PK\x03\x04 something else"))

    response = clerk.post(url(estate), {"staged": sha256, "filename": "x.xlsx", "mode": "upsert"})

    assert response.status_code == 410
    assert House.objects.count() == 0


def test_a_forged_name_is_refused(clerk, estate):
    response = clerk.post(url(estate), {"staged": "../../secret_key", "filename": "x.xlsx", "mode": "upsert"})
    assert response.status_code == 410


def test_unimported_files_are_removed_after_a_day(clerk, estate):
    sha256 = staged_of(dry_run(clerk, estate, xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]})))

    assert staging.purge_stale(now=timezone.now() + timedelta(hours=1)) == 0
    assert staging.purge_stale(now=timezone.now() + timedelta(days=2)) == 1
    assert not default_storage.exists(f"imports/{estate.pk}/{sha256}")
