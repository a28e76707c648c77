"""Who is acting, in which estate, with which roles: resolved once per request (DESIGN.md habit 6)."""

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache

from .errors import NotFound


@dataclass(frozen=True)
class Actor:
    user: Any
    estate: Any
    roles: frozenset[str] = field(default_factory=frozenset)
    via_token: bool = False

    def has_any(self, roles) -> bool:
        return bool(self.roles & roles) or self.is_platform_admin

    @property
    def is_platform_admin(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


def resolve_actor(user, estate_id: Any, *, token=None) -> Actor:
    """The actor for ``user`` in estate ``estate_id``; 404 when the user is not a member (or the token's scope
    does not include the estate), exactly as for an estate that does not exist."""
    try:
        estate_pk = int(estate_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if user is None or not user.is_authenticated:
        raise NotFound()
    if token is not None and estate_pk not in token.estate_ids:
        raise NotFound()
    cached = _access_cache_get(user.pk, estate_pk)
    if cached is None:
        cached = _load_access(user, estate_pk)
        _access_cache_set(user.pk, estate_pk, cached)
    estate, roles = cached
    if estate is None:
        raise NotFound()
    return Actor(user=user, estate=estate, roles=roles, via_token=token is not None)


def _load_access(user, estate_pk: int):
    """(estate, roles) for a member, (estate, no roles) for a platform admin, (None, none) for anyone else.
    One query answers both "is the user a member?" and "which estate?"."""
    Estate = apps.get_model("estate", "Estate")
    Membership = apps.get_model("accounts", "Membership")
    memberships = list(Membership.objects.filter(user=user, estate_id=estate_pk, ended_at__isnull=True)
                       .select_related("estate__company").only("role", "estate"))
    if memberships:
        return memberships[0].estate, frozenset(m.role for m in memberships)
    if user.is_superuser:
        estate = Estate.objects.filter(pk=estate_pk).select_related("company").first()
        if estate is not None:
            return estate, frozenset()
    return None, frozenset()


# --- the access cache ------------------------------------------------------------------------------------------
# Who holds which roles where is read on every request and changes rarely, so it is cached for
# settings.ACCESS_CACHE_SECONDS. Every change of a membership or an estate deletes the entry at once (signals in
# gongzhi.accounts.signals); with a shared cache (Redis) that reaches every server process immediately, with the
# default per-process cache the other processes see it within the TTL (docs/adr/0006).


def _access_key(user_id, estate_id) -> str:
    return f"gz:access:{user_id}:{estate_id}"


def _access_cache_get(user_id, estate_id):
    if not settings.ACCESS_CACHE_SECONDS:
        return None
    return cache.get(_access_key(user_id, estate_id))


def _access_cache_set(user_id, estate_id, value) -> None:
    if settings.ACCESS_CACHE_SECONDS:
        cache.set(_access_key(user_id, estate_id), value, settings.ACCESS_CACHE_SECONDS)


def forget_access(user_id, estate_id) -> None:
    cache.delete(_access_key(user_id, estate_id))


def forget_estate_access(estate_id) -> None:
    """An estate changed (its name, its rules): drop every member's cached copy of it."""
    Membership = apps.get_model("accounts", "Membership")
    user_ids = Membership.objects.filter(estate_id=estate_id).values_list("user_id", flat=True).distinct()
    cache.delete_many([_access_key(uid, estate_id) for uid in user_ids])
