"""POST /api/v1/auth/token: an app exchanges a mobile number and password for a bearer token.

Failures count towards the lockout (django-axes): after five wrong passwords the number is locked, and then even
the right password is refused until the lock expires.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import ApiToken
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error

URL = "/api/v1/auth/token"


def sign_in(phone: str, password: str, **extra):
    return Client().post(URL, {"phone": phone, "password": password, **extra}, content_type="application/json")


@pytest.fixture
def manager(estate, member):
    return member("manager", estate)


def test_right_password_gets_a_token_for_the_users_estates(manager, estate, password):
    response = sign_in(manager.phone, password, name="物业App")

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("gz_")
    assert body["estate_ids"] == [estate.pk]
    assert body["name"] == "物业App"
    token = ApiToken.objects.get(pk=body["id"])
    assert body["token"] not in (token.key_hash, token.prefix), "the secret itself is never stored"
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    me = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == manager.pk


def test_the_number_may_be_typed_with_spaces_and_country_code(manager, password):
    spaced = f"+86 {manager.phone[:3]} {manager.phone[3:7]} {manager.phone[7:]}"
    assert sign_in(spaced, password).status_code == 201


def test_wrong_password_is_401_invalid_credentials(manager):
    tokens = ApiToken.objects.count()
    response = sign_in(manager.phone, "Wrong-password-1")

    assert_error(response, 401, "invalid_credentials")
    assert ApiToken.objects.count() == tokens


def test_unknown_number_is_answered_like_a_wrong_password(db):
    assert_error(sign_in("13700000000", "Whatever-123"), 401, "invalid_credentials")


def test_five_failures_lock_the_number_and_then_even_the_right_password_is_refused(manager, password):
    for _ in range(4):
        assert_error(sign_in(manager.phone, "Wrong-password-1"), 401, "invalid_credentials")

    body = assert_error(sign_in(manager.phone, "Wrong-password-1"), 429, "locked_out")
    assert "15" in body["messages"]["en"]

    tokens = ApiToken.objects.count()
    assert_error(sign_in(manager.phone, password), 429, "locked_out")
    assert ApiToken.objects.count() == tokens


def test_the_lock_expires(manager, password, settings):
    for _ in range(5):
        sign_in(manager.phone, "Wrong-password-1")
    assert sign_in(manager.phone, password).status_code == 429

    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(manager.phone, password).status_code == 201


def test_a_success_resets_the_failure_count(manager, password):
    for _ in range(4):
        sign_in(manager.phone, "Wrong-password-1")
    assert sign_in(manager.phone, password).status_code == 201
    for _ in range(4):
        assert sign_in(manager.phone, "Wrong-password-1").status_code == 401


def test_inactive_user_cannot_sign_in(manager, password):
    manager.is_active = False
    manager.save()
    assert_error(sign_in(manager.phone, password), 401, "invalid_credentials")


def test_a_token_may_be_asked_for_fewer_estates(manager, estate, other_estate, member, password):
    member("guard", other_estate, user=manager)
    response = sign_in(manager.phone, password, estate_ids=[other_estate.pk])
    assert response.status_code == 201
    assert response.json()["estate_ids"] == [other_estate.pk]


def test_no_token_for_an_estate_the_user_does_not_belong_to(manager, other_estate, password):
    tokens = ApiToken.objects.count()
    assert_error(sign_in(manager.phone, password, estate_ids=[other_estate.pk]), 400, "invalid_token_scope")
    assert ApiToken.objects.count() == tokens


def test_expiry_is_bounded(manager, password):
    assert_error(sign_in(manager.phone, password, days=0), 400, "invalid_expiry")
    assert_error(sign_in(manager.phone, password, days=366), 400, "invalid_expiry")
    assert sign_in(manager.phone, password, days=365).status_code == 201


def test_missing_fields_are_422_in_the_error_shape(db):
    body = assert_error(Client().post(URL, {"phone": "13800000001"}, content_type="application/json"), 422,
                        "validation_error")
    assert any(d["loc"][-1] == "password" for d in body["detail"])


def test_creating_a_token_is_audited(manager, password):
    before = AuditEntry.objects.filter(action="token.create").count()
    sign_in(manager.phone, password)
    entry = AuditEntry.objects.filter(action="token.create").latest("id")
    assert AuditEntry.objects.filter(action="token.create").count() == before + 1
    assert entry.actor_id == manager.pk
    assert "token" not in (entry.after or {}), "the secret is not written to the audit log"
