"""Changing one's password revokes every API token; a token reaches only the tokens no wider than itself."""

from django.test import Client

from gongzhi.accounts.models import ApiToken
from gongzhi.accounts.services import token_create
from gongzhi.accounts.tests.factories import TEST_PASSWORD
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error

NEW_PASSWORD = "lantern-harbour-42"


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_changing_the_password_revokes_every_token_of_the_user(estate, member):
    # Given a user with two tokens (one of them used for the change) and a colleague with one
    user = member("manager", estate)
    colleague = member("manager", estate)
    _first, raw = token_create(user=user, name="app", estate_ids=[estate.pk])
    _second, other_raw = token_create(user=user, name="gate", estate_ids=[estate.pk])
    _theirs, their_raw = token_create(user=colleague, name="app", estate_ids=[estate.pk])

    # When the user changes the password through the API
    response = bearer(raw).post("/api/v1/me/password", {"current_password": TEST_PASSWORD,
                                                        "new_password": NEW_PASSWORD},
                                content_type="application/json")

    # Then both their tokens are dead, the colleague's lives, the new password works and the change is audited
    assert response.status_code == 200, response.content
    assert response.json() == {"tokens_revoked": 2}
    assert_error(bearer(raw).get("/api/v1/me"), 401, "unauthenticated")
    assert_error(bearer(other_raw).get("/api/v1/me"), 401, "unauthenticated")
    assert bearer(their_raw).get("/api/v1/me").status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="user.password_change", object_id=str(user.pk)).count() == 1


def test_a_wrong_current_password_changes_nothing(estate, member, api):
    user = member("owner", estate)
    token, _raw = token_create(user=user, name="app", estate_ids=[estate.pk])

    response = api(user, [estate]).post("/api/v1/me/password", {"current_password": "not-it-at-all",
                                                                "new_password": NEW_PASSWORD},
                                        content_type="application/json")

    body = assert_error(response, 400, "wrong_password")
    assert body["detail"] == {"field": "current_password"}
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_weak_or_unchanged_new_password_is_refused(estate, member, api):
    user = member("owner", estate)
    client = api(user, [estate])
    for weak in ("12345678901", TEST_PASSWORD, "short1"):
        response = client.post("/api/v1/me/password", {"current_password": TEST_PASSWORD, "new_password": weak},
                               content_type="application/json")
        assert_error(response, 400, "weak_password")
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_the_password_page_keeps_this_browser_signed_in(client, estate, member):
    user = member("owner", estate)
    token_create(user=user, name="app", estate_ids=[estate.pk])
    client.force_login(user)

    mismatch = client.post("/accounts/password/", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
                                                   "new_password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    wrong = client.post("/accounts/password/", {"current_password": "nope-nope-1", "new_password": NEW_PASSWORD,
                                                "new_password_again": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=False).exists()

    done = client.post("/accounts/password/", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
                                               "new_password_again": NEW_PASSWORD})

    assert done.status_code == 302
    assert client.get("/accounts/estates/").status_code == 200  # still signed in here
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_another_browser_session_ends_with_the_change(estate, member):
    user = member("owner", estate)
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)

    here.post("/accounts/password/", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
                                      "new_password_again": NEW_PASSWORD})

    assert here.get("/accounts/estates/").status_code == 200
    assert elsewhere.get("/accounts/estates/").status_code == 302


def test_a_narrow_token_sees_and_revokes_only_tokens_within_its_estates(estate, other_estate, member):
    # Given a user of two estates with a wide token, a token for A only and a token for B only
    user = member("manager", estate)
    member("manager", other_estate, user)
    wide, wide_raw = token_create(user=user, name="wide", estate_ids=[estate.pk, other_estate.pk])
    only_a, a_raw = token_create(user=user, name="a", estate_ids=[estate.pk])
    only_b, _b_raw = token_create(user=user, name="b", estate_ids=[other_estate.pk])

    # The A-only token lists itself, not the wide one nor B's
    listed = {t["name"] for t in bearer(a_raw).get("/api/v1/tokens").json()}
    assert listed == {"a"}
    # and cannot revoke them (404, as for a token that does not exist)
    assert_error(bearer(a_raw).delete(f"/api/v1/tokens/{wide.pk}"), 404, "not_found")
    assert_error(bearer(a_raw).delete(f"/api/v1/tokens/{only_b.pk}"), 404, "not_found")
    assert ApiToken.objects.filter(pk__in=[wide.pk, only_b.pk], revoked_at__isnull=True).count() == 2

    # The wide token reaches all three
    assert {t["name"] for t in bearer(wide_raw).get("/api/v1/tokens").json()} == {"wide", "a", "b"}
    assert bearer(wide_raw).delete(f"/api/v1/tokens/{only_b.pk}").status_code == 200
    # A token may always revoke itself
    assert bearer(a_raw).delete(f"/api/v1/tokens/{only_a.pk}").status_code == 200
