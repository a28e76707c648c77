"""Who is acting, in which estate, with which roles: resolved once per request (DESIGN.md habit 6)."""

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

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
    Estate = apps.get_model("estate", "Estate")
    Membership = apps.get_model("accounts", "Membership")
    try:
        estate_pk = int(estate_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if user is None or not user.is_authenticated:
        raise NotFound()
    if token is not None and estate_pk not in token.estate_ids:
        raise NotFound()
    # One query answers both "is the user a member?" and "which estate?" (the hot path of every request).
    memberships = list(Membership.objects.filter(user=user, estate_id=estate_pk, ended_at__isnull=True)
                       .select_related("estate__company").only("role", "estate"))
    if memberships:
        return Actor(user=user, estate=memberships[0].estate, roles=frozenset(m.role for m in memberships),
                     via_token=token is not None)
    if user.is_superuser:
        estate = Estate.objects.filter(pk=estate_pk).select_related("company").first()
        if estate is not None:
            return Actor(user=user, estate=estate, roles=frozenset(), via_token=token is not None)
    raise NotFound()
