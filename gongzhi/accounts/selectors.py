from django.utils import timezone

from .models import ApiToken, Membership, User


def token_for_secret(raw: str) -> ApiToken | None:
    from .services import hash_token

    return (ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=timezone.now(),
                    user__is_active=True)
            .first())


def token_list(*, user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def memberships_of(*, user: User):
    """The user's current memberships with their estates: the estate picker and the API's /me."""
    return (Membership.objects.filter(user=user, ended_at__isnull=True)
            .select_related("estate", "estate__company").order_by("estate__name", "role"))


def estate_memberships(*, actor):
    """Members of the actor's estate (managers manage them)."""
    return Membership.objects.filter(estate=actor.estate).select_related("user")


def user_by_phone(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()
