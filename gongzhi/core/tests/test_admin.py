"""The Django admin: platform admins only; every change there is audited; history is not deleted there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core.models import AuditEntry
from gongzhi.estate.models import House
from gongzhi.estate.tests.factories import HouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", [m for m in admin.site._registry], ids=lambda m: m._meta.label)
def test_a_platform_admin_sees_every_list(client, platform_admin, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_staff_who_are_not_platform_admins_are_kept_out(client, estate, member):
    manager = member("manager", estate)
    manager.is_staff = True  # even with the flag, only superusers get in
    manager.save()
    client.force_login(manager)

    response = client.get(reverse("admin:estate_house_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_admin_edit_is_audited_with_before_and_after(client, platform_admin):
    house = HouseFactory(area_m2="100.00")
    url = reverse("admin:estate_house_change", args=[house.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["area_m2"] = "101.50"

    response = client.post(url, data)

    assert response.status_code == 302, response.content[:500]
    entry = AuditEntry.objects.get(action="admin.house.change")
    assert entry.before["area_m2"] == "100.00" and entry.after["area_m2"] == "101.50"
    assert entry.estate_id == house.estate_id and entry.actor == platform_admin


def test_houses_cannot_be_deleted_in_the_admin(client, platform_admin):
    house = HouseFactory()

    response = client.post(reverse("admin:estate_house_delete", args=[house.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert House.objects.filter(pk=house.pk).exists()
