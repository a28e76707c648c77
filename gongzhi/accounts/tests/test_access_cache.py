"""Who holds which role where, and API tokens, are cached (settings.ACCESS_CACHE_SECONDS); every change is seen at
once by the next request."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.services import membership_revoke, token_create
from gongzhi.accounts.tests.factories import MembershipFactory
from gongzhi.core.access import resolve_actor


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_warm_request_runs_only_its_own_queries(estate, member):
    user = member("customer_service", estate)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    client = bearer(raw)
    assert client.get(f"/api/v1/estates/{estate.pk}/houses").status_code == 200  # warms the cache

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/estates/{estate.pk}/houses").status_code == 200

    assert len(queries) == 1  # the houses; token and membership come from the cache


def test_an_ended_membership_is_refused_at_once(estate, member):
    manager = member("manager", estate)
    clerk = member("customer_service", estate)
    _token, raw = token_create(user=clerk, name="app", estate_ids=[estate.pk])
    client = bearer(raw)
    assert client.get(f"/api/v1/estates/{estate.pk}/houses").status_code == 200

    membership = clerk.memberships.get()
    membership_revoke(actor=resolve_actor(manager, estate.pk), membership_id=membership.pk)

    assert client.get(f"/api/v1/estates/{estate.pk}/houses").status_code == 404


def test_a_new_role_is_seen_at_once(estate, member):
    technician = member("technician", estate)
    _token, raw = token_create(user=technician, name="app", estate_ids=[estate.pk])
    client = bearer(raw)
    assert client.get(f"/api/v1/estates/{estate.pk}/audit").status_code == 403

    MembershipFactory(user=technician, estate=estate, role="manager")  # as the admin site would

    assert client.get(f"/api/v1/estates/{estate.pk}/audit").status_code == 200


def test_a_deactivated_user_loses_their_tokens_at_once(estate, member):
    user = member("manager", estate)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    client = bearer(raw)
    assert client.get("/api/v1/me").status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/api/v1/me").status_code == 401


def test_a_renamed_estate_shows_its_new_name(estate, member):
    user = member("manager", estate)
    _token, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    client = bearer(raw)
    assert client.get(f"/api/v1/estates/{estate.pk}").json()["name"] == "明强小区"

    estate.name = "明强新苑"
    estate.save(update_fields=["name"])

    assert client.get(f"/api/v1/estates/{estate.pk}").json()["name"] == "明强新苑"
