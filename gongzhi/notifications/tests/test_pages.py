"""The notification centre pages: my notifications, unread first; mark one or all read; the unread badge."""

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.notifications.models import Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(member, estate):
    return member("owner", estate)


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_unread_come_first_and_others_notifications_never_show(me, estate, other_estate, user_factory):
    old_unread = NotificationFactory(estate=estate, user=me, title="旧的未读")
    read = NotificationFactory(estate=estate, user=me, title="已读", read_at=old_unread.created_at)
    NotificationFactory(estate=estate, title="别人的")
    NotificationFactory(estate=other_estate, user=me, title="另一个小区的")
    page = client_for(me).get(reverse("notifications:list", args=[estate.pk])).content.decode()
    assert page.index("旧的未读") < page.index(read.title)
    assert "别人的" not in page and "另一个小区的" not in page
    assert "1 unread" in page


def test_mark_one_read_and_follow_its_link(me, estate):
    notification = NotificationFactory(estate=estate, user=me, url=f"/e/{estate.pk}/notices/")
    evil = NotificationFactory(estate=estate, user=me, url="https://evil.example/")
    client = client_for(me)
    url = reverse("notifications:list", args=[estate.pk])
    response = client.post(url, {"notification_id": notification.pk, "follow": "1"})
    assert response.status_code == 302 and response["Location"] == f"/e/{estate.pk}/notices/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    # a link off the site is never followed
    response = client.post(url, {"notification_id": evil.pk, "follow": "1"})
    assert response["Location"] == url


def test_mark_all_read_and_another_users_notification_is_404(me, estate):
    NotificationFactory.create_batch(3, estate=estate, user=me)
    theirs = NotificationFactory(estate=estate)
    client = client_for(me)
    url = reverse("notifications:list", args=[estate.pk])
    assert client.post(url, {"notification_id": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(url, {"action": "read_all"})
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    assert Notification.objects.filter(pk=theirs.pk, read_at__isnull=True).exists()


def test_the_badge_shows_the_unread_count_and_htmx_marking_returns_it(me, estate, django_assert_max_num_queries):
    NotificationFactory.create_batch(2, estate=estate, user=me)
    client = client_for(me)
    badge = reverse("notifications:badge", args=[estate.pk])
    client.get(badge)
    with django_assert_max_num_queries(4):  # session, user, (membership cached), count
        response = client.get(badge)
    assert '<span class="notif-badge">2</span>' in response.content.decode()
    one = Notification.objects.filter(user=me).first()
    marked = client.post(reverse("notifications:list", args=[estate.pk]), {"notification_id": one.pk},
                         HTTP_HX_REQUEST="true")
    assert '<span class="notif-badge">1</span>' in marked.content.decode()


def test_the_list_runs_a_constant_number_of_queries(me, estate, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(me)
    url = reverse("notifications:list", args=[estate.pk])
    client.get(url)
    counts = []
    for k in (3, 30):
        NotificationFactory.create_batch(k, estate=estate, user=me)
        NotificationFactory.create_batch(k, estate=estate, user=me, read_at="2026-01-01T00:00:00+08:00")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
