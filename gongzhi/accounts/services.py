"""Writes for users, memberships and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated

from . import errors
from .choices import Role
from .models import ApiToken, Membership, User
from .policies import MembershipPolicy
from .selectors import token_key, token_within

TOKEN_PREFIX = "gz_"


def client_ip(request) -> str:
    """The client's address for lockout and throttling: REMOTE_ADDR, or behind settings.TRUSTED_PROXY_COUNT
    proxies the address the outermost trusted proxy saw (X-Forwarded-For, counted from the right)."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def login_username_from_request(request, credentials=None) -> str | None:
    """The phone number that django-axes counts failures against (form field or credentials)."""
    if credentials and credentials.get("username"):
        return str(credentials["username"]).strip()
    if request is not None and request.method == "POST":
        return (request.POST.get("username") or "").strip() or None
    return None


def user_authenticate(*, request, phone: str, password: str, sessionless: bool = False) -> User:
    """Checks the password through django-axes, which counts failures and locks out after the limit.

    A page sign-in then opens a session with ``login()``, which announces the success. A ``sessionless`` one (an
    API token) announces it here, so that django-axes resets the failure count and logs the access there too."""
    from gongzhi.estate.validators import InvalidValue, parse_mobile

    try:
        phone = parse_mobile(phone)
    except InvalidValue:
        pass  # still counted as a failure by axes below, with the text as typed
    user = authenticate(request, username=phone, password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise DomainError(errors.LOCKED_OUT, code="locked_out", status=429, minutes=minutes)
    if user is None:
        raise Unauthenticated(errors.INVALID_CREDENTIALS, code="invalid_credentials")
    if sessionless:
        user_logged_in.send(sender=type(user), request=request, user=user)
    return user


@transaction.atomic
def user_create(*, actor_user, phone: str, name: str, password: str | None, validate: bool = True) -> User:
    from gongzhi.estate.validators import InvalidValue, parse_mobile

    try:
        phone = parse_mobile(phone)
    except InvalidValue as exc:
        raise DomainError(exc.reason, code="invalid_mobile") from None
    if User.objects.filter(phone=phone).exists():
        raise Conflict(code="user_exists")
    user = User(phone=phone, name=name)
    if password:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError(" ".join(exc.messages), code="weak_password") from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit(user=actor_user, estate=None, action="user.create", obj=user, after={"phone": phone, "name": name})
    return user


@transaction.atomic
def membership_grant(*, actor: Actor, user: User, role: str) -> Membership:
    if not MembershipPolicy.can(actor, "change"):
        raise Forbidden()
    if role not in Role.values:
        raise DomainError(errors.ROLE_UNKNOWN, code="unknown_role")
    if Membership.objects.filter(user=user, estate=actor.estate, role=role, ended_at__isnull=True).exists():
        raise Conflict(errors.MEMBERSHIP_EXISTS, code="membership_exists")
    membership = Membership.objects.create(user=user, estate=actor.estate, role=role)
    audit(user=actor.user, estate=actor.estate, action="membership.grant", obj=membership,
          after=snapshot(membership, ["user_id", "role"]))
    return membership


@transaction.atomic
def membership_revoke(*, actor: Actor, membership_id: int) -> Membership:
    if not MembershipPolicy.can(actor, "change"):
        raise Forbidden()
    membership = (Membership.objects.select_for_update()
                  .filter(pk=membership_id, estate=actor.estate).first())
    if membership is None:
        raise NotFound()
    if membership.ended_at is None:
        before = snapshot(membership, ["user_id", "role", "ended_at"])
        membership.ended_at = timezone.now()
        membership.save(update_fields=["ended_at"])
        audit(user=actor.user, estate=actor.estate, action="membership.revoke", obj=membership, before=before,
              after=snapshot(membership, ["user_id", "role", "ended_at"]))
    return membership


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> int:
    """The user changes their own password. Every API token of theirs is revoked with it (a token leaked along with
    the old password must not outlive the change); other browser sessions end by themselves, as Django checks the
    password hash on each request. Returns how many tokens were revoked."""
    if not user.check_password(current_password or ""):
        raise DomainError(errors.WRONG_PASSWORD, code="wrong_password", detail={"field": "current_password"})
    if new_password == current_password:
        raise DomainError(errors.SAME_PASSWORD, code="weak_password", detail={"field": "new_password"})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="weak_password", detail={"field": "new_password"}) from None
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    user.set_password(new_password)
    # Saving the user drops every cached token of theirs (accounts.signals.user_changed), revoked ones included.
    user.save(update_fields=["password"])
    audit(user=user, estate=None, action="user.password_change", obj=user, after={"tokens_revoked": revoked})
    return revoked


def hash_token(raw: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough (no slow hash needed) and lets the
    # lookup be one indexed equality query.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, estate_ids: list[int], days: int | None = None,
                 via: ApiToken | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is shown once and never stored.

    ``via`` is the token the request came with, if any: a token may only hand out what it holds itself (no other
    estate, no later expiry), so that a leaked integration token cannot widen or prolong itself."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(errors.TOKEN_EXPIRY_RANGE, code="invalid_expiry", max_days=settings.API_TOKEN_MAX_DAYS)
    member_of = set(Membership.objects.filter(user=user, ended_at__isnull=True).values_list("estate_id", flat=True))
    wanted = sorted(set(estate_ids))
    if not wanted or (not set(wanted) <= member_of and not user.is_superuser):
        raise DomainError(errors.TOKEN_NEEDS_ESTATE, code="invalid_token_scope")
    expires_at = timezone.now() + timedelta(days=days)
    if via is not None:
        if not set(wanted) <= set(via.estate_ids):
            raise DomainError(errors.TOKEN_SCOPE_WIDER, code="invalid_token_scope")
        if expires_at > via.expires_at:
            raise DomainError(errors.TOKEN_OUTLIVES, code="invalid_expiry")
    secret = secrets.token_urlsafe(32)
    prefix = secret[:8]
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken.objects.create(user=user, name=name.strip()[:80] or "API", prefix=prefix,
                                    key_hash=hash_token(raw), estate_ids=wanted,
                                    expires_at=expires_at)
    audit(user=user, estate=None, action="token.create", obj=token,
          after={"name": token.name, "estate_ids": wanted, "expires_at": token.expires_at.isoformat()})
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token_id: int, via: ApiToken | None = None) -> ApiToken:
    """The owner revokes their token; a platform admin may revoke anyone's. Through a token, only tokens within its
    reach (``token_within``)."""
    qs = ApiToken.objects.select_for_update().filter(pk=token_id)
    if not user.is_superuser:
        qs = qs.filter(user=user)
    token = qs.first()
    if token is None or not token_within(token, via):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(user=user, estate=None, action="token.revoke", obj=token, after={"revoked_at": token.revoked_at.isoformat()})
    return token


def token_touch(token: ApiToken) -> None:
    """Records use at most every five minutes, so reads do not turn into writes."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if settings.ACCESS_CACHE_SECONDS:
            cache.set(token_key(token.key_hash), token, settings.ACCESS_CACHE_SECONDS)
