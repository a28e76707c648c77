"""API tokens: created and revoked by their owner, stored hashed, scoped to estates, with an expiry."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import ApiToken
from gongzhi.accounts.services import hash_token, token_create
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_works_until_it_expires(estate, member):
    user = member("manager", estate)
    token, raw = token_create(user=user, name="门禁对接", estate_ids=[estate.pk], days=1)
    assert bearer(raw).get("/api/v1/me").status_code == 200

    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])

    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")
    assert_error(bearer(raw).get(f"/api/v1/estates/{estate.pk}/houses"), 401, "unauthenticated")


def test_a_revoked_token_is_refused(estate, member, api):
    user = member("manager", estate)
    token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    other_client = api(user, [estate])

    response = other_client.delete(f"/api/v1/tokens/{token.pk}")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")
    assert AuditEntry.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_revoking_twice_changes_nothing(estate, member, api):
    user = member("manager", estate)
    token, _raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    client = api(user, [estate])
    first = client.delete(f"/api/v1/tokens/{token.pk}").json()["revoked_at"]
    second = client.delete(f"/api/v1/tokens/{token.pk}").json()["revoked_at"]
    assert first == second
    assert AuditEntry.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_a_token_of_a_deactivated_user_is_refused(estate, member):
    user = member("manager", estate)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    user.is_active = False
    user.save()
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")


def test_only_a_hash_of_the_secret_is_stored(estate, member):
    user = member("manager", estate)
    token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == hash_token(raw)


def test_a_token_reaches_only_its_estates(estate, other_estate, member):
    user = member("manager", estate)
    member("manager", other_estate, user=user)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])

    assert bearer(raw).get(f"/api/v1/estates/{estate.pk}/houses").status_code == 200
    assert_error(bearer(raw).get(f"/api/v1/estates/{other_estate.pk}/houses"), 404, "not_found")
    assert [e["id"] for e in bearer(raw).get("/api/v1/estates").json()] == [estate.pk]


def test_a_token_stops_working_in_an_estate_when_the_membership_ends(estate, member):
    user = member("guard", estate)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    user.memberships.update(ended_at=timezone.now())
    assert_error(bearer(raw).get(f"/api/v1/estates/{estate.pk}/houses"), 404, "not_found")


def test_create_list_and_revoke_through_the_api(estate, member, api):
    user = member("manager", estate)
    client = api(user, [estate])

    created = client.post("/api/v1/tokens", {"name": "门禁对接", "estate_ids": [estate.pk], "days": 30},
                          content_type="application/json")

    assert created.status_code == 201
    body = created.json()
    assert body["estate_ids"] == [estate.pk]
    listed = client.get("/api/v1/tokens").json()
    assert body["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed), "the secret is shown once, at creation"
    assert bearer(body["token"]).get("/api/v1/me").status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 200
    assert bearer(body["token"]).get("/api/v1/me").status_code == 401


def test_a_token_needs_an_estate(estate, member, api):
    user = member("manager", estate)
    client = api(user, [estate])
    count = ApiToken.objects.count()
    response = client.post("/api/v1/tokens", {"name": "x", "estate_ids": []}, content_type="application/json")
    assert_error(response, 400, "invalid_token_scope")
    assert ApiToken.objects.count() == count


def test_revoking_a_missing_token_is_404(estate, member, api):
    client = api(member("manager", estate), [estate])
    assert_error(client.delete("/api/v1/tokens/999999"), 404, "not_found")
