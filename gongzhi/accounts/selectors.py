from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import ApiToken, Membership, User


def token_key(key_hash: str) -> str:
    return f"gz:token:{key_hash}"


def token_for_secret(raw: str) -> ApiToken | None:
    """The usable token with this secret, with its user. Cached like memberships (gongzhi.core.access): revoking
    a token, or any change to its user, deletes the cached copy (gongzhi.accounts.signals)."""
    from .services import hash_token

    key_hash = hash_token(raw)
    token = cache.get(token_key(key_hash)) if settings.ACCESS_CACHE_SECONDS else None
    if token is None:
        token = (ApiToken.objects.select_related("user")
                 .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True).first())
        if token is None:
            return None
        if settings.ACCESS_CACHE_SECONDS:
            cache.set(token_key(key_hash), token, settings.ACCESS_CACHE_SECONDS)
    return token if token.expires_at > timezone.now() else None


def token_within(token: ApiToken, via: ApiToken | None) -> bool:
    """Whether a request that came with ``via`` may see or revoke ``token``: a session (no ``via``) reaches all of
    the user's tokens; a token only itself and those no wider than its own estates, so a leaked narrow token cannot
    list or revoke the user's other integrations."""
    return via is None or token.pk == via.pk or set(token.estate_ids) <= set(via.estate_ids)


def token_list(*, user: User, via: ApiToken | None = None) -> list[ApiToken]:
    """The user's tokens, newest first; through a token, only those within its reach (services.token_within)."""
    return [t for t in ApiToken.objects.filter(user=user).order_by("-created_at") if token_within(t, via)]


def memberships_of(*, user: User):
    """The user's current memberships with their estates: the estate picker and the API's /me."""
    return (Membership.objects.filter(user=user, ended_at__isnull=True)
            .select_related("estate", "estate__company").order_by("estate__name", "role"))


def estate_memberships(*, actor):
    """Members of the actor's estate (managers manage them)."""
    return Membership.objects.filter(estate=actor.estate).select_related("user")


def user_by_phone(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()
