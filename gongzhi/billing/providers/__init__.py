"""Payment providers: ``get_provider(name)`` builds (once per configuration) the adapter of a gateway.

``BILLING_PROVIDER`` (default "sandbox") is the provider a resident's payment uses when none is chosen."""

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import Notification, NotificationInvalid, Provider, ProviderError, Reply, setting

NAMES = ("wechat", "alipay", "sandbox")


def default_provider() -> str:
    name = setting("BILLING_PROVIDER", "sandbox") or "sandbox"
    return name if name in NAMES else "sandbox"


@cache
def _build(name: str) -> Provider:
    if name == "wechat":
        from .wechat import WeChatProvider

        return WeChatProvider.from_settings()
    if name == "alipay":
        from .alipay import AlipayProvider

        return AlipayProvider.from_settings()
    if name == "sandbox":
        from .sandbox import SandboxProvider

        return SandboxProvider.from_settings()
    raise ProviderError(f"unknown payment provider {name!r}")


def get_provider(name: str | None = None) -> Provider:
    return _build(name or default_provider())


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting.startswith("BILLING_") or setting == "SECRET_KEY":
        _build.cache_clear()


__all__ = ["NAMES", "Notification", "NotificationInvalid", "Provider", "ProviderError", "Reply", "default_provider",
           "get_provider"]
