"""The notifications API: one's own notifications only, unread filter and count, marking read, preferences, and
the list's query budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import NotificationFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(estate, member):
    return member("owner", estate)


@pytest.fixture
def client(resident, estate, api):
    return api(resident, [estate])


def url(estate, path=""):
    return f"/api/v1/estates/{estate.pk}/notifications{path}"


def test_list_shows_only_my_notifications_newest_first_with_unread_filter(estate, resident, client):
    old = NotificationFactory(estate=estate, user=resident)
    new = NotificationFactory(estate=estate, user=resident)
    NotificationFactory(estate=estate)  # someone else's
    client.post(url(estate, f"/{old.pk}/read"))
    body = client.get(url(estate)).json()
    assert [n["id"] for n in body["items"]] == [new.pk, old.pk]
    assert [n["id"] for n in client.get(url(estate) + "?unread=true").json()["items"]] == [new.pk]
    assert [n["id"] for n in client.get(url(estate) + "?unread=false").json()["items"]] == [old.pk]
    assert client.get(url(estate, "/unread-count")).json() == {"unread": 1}


def test_list_pages_with_a_cursor(estate, resident, client):
    made = NotificationFactory.create_batch(3, estate=estate, user=resident)
    first = client.get(url(estate) + "?limit=2").json()
    second = client.get(url(estate) + f"?limit=2&cursor={first['next_cursor']}").json()
    assert [n["id"] for n in first["items"] + second["items"]] == [n.pk for n in reversed(made)]
    assert second["next_cursor"] is None


def test_mark_read_twice_keeps_the_first_time_and_read_all_counts(estate, resident, client):
    one, _two = NotificationFactory.create_batch(2, estate=estate, user=resident)
    first = client.post(url(estate, f"/{one.pk}/read")).json()
    again = client.post(url(estate, f"/{one.pk}/read")).json()
    assert first["read_at"] is not None and again["read_at"] == first["read_at"]
    assert client.post(url(estate, "/read-all")).json() == {"marked": 1}
    assert client.get(url(estate, "/unread-count")).json() == {"unread": 0}


def test_another_users_notification_is_404(estate, client):
    theirs = NotificationFactory(estate=estate)
    response = client.post(url(estate, f"/{theirs.pk}/read"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_show_defaults_and_in_app_stays_on(client):
    prefs = {(p["channel"], p["kind"]): p["enabled"] for p in client.get("/api/v1/me/notification-preferences").json()}
    assert prefs[("in_app", "ticket_update")] and prefs[("email", "ticket_update")]
    assert not prefs[("sms", "ticket_update")]
    response = client.put("/api/v1/me/notification-preferences",
                          {"preferences": [{"channel": "sms", "kind": "ticket_update", "enabled": True},
                                           {"channel": "email", "kind": "system", "enabled": False}]},
                          content_type="application/json")
    prefs = {(p["channel"], p["kind"]): p["enabled"] for p in response.json()}
    assert prefs[("sms", "ticket_update")] and not prefs[("email", "system")]
    refused = client.put("/api/v1/me/notification-preferences",
                         {"preferences": [{"channel": "sms", "kind": "system", "enabled": True},
                                          {"channel": "in_app", "kind": "system", "enabled": False}]},
                         content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "in_app_required"
    prefs = {(p["channel"], p["kind"]): p["enabled"] for p in client.get("/api/v1/me/notification-preferences").json()}
    assert not prefs[("sms", "system")]  # the whole request was refused, not half of it


def test_preferences_are_my_own(resident, api, member, estate):
    NotificationPreferenceFactory(user=resident, channel="email", kind="system", enabled=False)
    other = api(member("owner", estate), [estate])
    prefs = {(p["channel"], p["kind"]): p["enabled"] for p in other.get("/api/v1/me/notification-preferences").json()}
    assert prefs[("email", "system")] is True


def test_list_query_count_does_not_grow_with_the_rows(estate, resident, client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(estate)).status_code == 200
        return len(captured)

    queries()  # the first call also resolves the token and the membership, then cached
    NotificationFactory.create_batch(3, estate=estate, user=resident)
    few = queries()
    NotificationFactory.create_batch(27, estate=estate, user=resident)
    assert queries() == few
