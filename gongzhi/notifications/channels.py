"""Delivery channels. Each adapter has ``deliver(notification, user) -> bool``: True when the message went out,
False when the user cannot be reached on that channel (no email address, no mobile number)."""

import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from gongzhi.core.masking import mask_mobile

from .choices import NotificationChannel

sms_log = logging.getLogger("gongzhi.notifications.sms")


class InAppChannel:
    """The notification row is the in-app message: nothing more to send."""

    def deliver(self, notification, user) -> bool:
        return True


class EmailChannel:
    """Through Django's EMAIL_BACKEND (SMTP in production)."""

    def deliver(self, notification, user) -> bool:
        if not user.email:
            return False
        send_mail(notification.title, notification.body, None, [user.email])
        return True


class SmsProvider(ABC):
    """The interface an SMS gateway implements: send one text to one mainland mobile number."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; raise on failure (it is logged and the channel is not marked delivered)."""


class LoggingSmsProvider(SmsProvider):
    """For development and tests: writes the message to the log, with the number masked."""

    def send(self, phone: str, text: str) -> None:
        sms_log.info("SMS to %s: %s", mask_mobile(phone), text)


class SmsChannel:
    def __init__(self, provider: SmsProvider | None = None):
        self._provider = provider

    @property
    def provider(self) -> SmsProvider:
        return self._provider or import_string(settings.SMS_PROVIDER)()

    def deliver(self, notification, user) -> bool:
        if not user.phone:
            return False
        self.provider.send(user.phone, f"{notification.title}: {notification.body}" if notification.body
                           else notification.title)
        return True


CHANNELS = {
    NotificationChannel.IN_APP: InAppChannel(),
    NotificationChannel.EMAIL: EmailChannel(),
    NotificationChannel.SMS: SmsChannel(),
}
