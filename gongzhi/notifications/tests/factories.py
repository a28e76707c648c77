import factory
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.estate.tests.factories import EstateFactory
from gongzhi.notifications.models import Notification, NotificationPreference


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread in-app notification (not delivered anywhere else)."""

    class Meta:
        model = Notification

    estate = factory.SubFactory(EstateFactory)
    user = factory.SubFactory(UserFactory)
    kind = "ticket_update"
    title = "工单 R2026112100001：已派单"
    body = "您的工单 R2026112100001 现在是“已派单”。"
    created_at = factory.LazyFunction(timezone.now)


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    channel = "email"
    kind = "ticket_update"
    enabled = False
