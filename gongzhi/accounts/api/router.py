from django.db import transaction
from ninja import Router, Status
from ninja.throttling import AnonRateThrottle, UserRateThrottle

from gongzhi.core.api import api_actor
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.masking import mask_mobile

from .. import selectors, services
from ..choices import MOBILE_FULL_ROLES, Role
from ..policies import MembershipPolicy
from .schemas import (
    MembershipIn,
    MembershipOut,
    MeOut,
    PasswordChangedOut,
    PasswordChangeIn,
    TokenCreatedOut,
    TokenIn,
    TokenLoginIn,
    TokenOut,
)

router = Router(tags=["accounts"])


class PerUserThrottle(UserRateThrottle):
    """Counted per signed-in user whether they came with a session or a token (ninja's own looks at
    ``request.user``, which a bearer token does not set)."""

    def get_cache_key(self, request) -> str:
        user = getattr(request, "auth", None)
        ident = user.pk if getattr(user, "pk", None) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _token_out(token, raw=None) -> dict:
    out = {f: getattr(token, f) for f in TokenOut.model_fields}
    if raw:
        out["token"] = raw
    return out


@router.post("/auth/token", auth=None, response={201: TokenCreatedOut}, throttle=[AnonRateThrottle("20/m")],
             summary="Sign in with mobile number and password; get an API token")
def login_for_token(request, payload: TokenLoginIn):
    """For apps: exchanges a mobile number and password for a bearer token. Failures count towards the lockout
    (5 failures lock the number for 15 minutes)."""
    user = services.user_authenticate(request=request, phone=payload.phone, password=payload.password,
                                      sessionless=True)
    estate_ids = payload.estate_ids
    if estate_ids is None:
        estate_ids = [m.estate_id for m in selectors.memberships_of(user=user)]
    token, raw = services.token_create(user=user, name=payload.name, estate_ids=estate_ids, days=payload.days)
    return Status(201, _token_out(token, raw))


@router.get("/me", response=MeOut, summary="Who am I, and my roles in each estate")
def me(request):
    user = request.auth
    memberships = [
        {"estate": {"id": m.estate_id, "name": m.estate.name, "company": m.estate.company.name},
         "role": m.role, "role_label": str(m.get_role_display())}
        for m in selectors.memberships_of(user=user)
    ]
    return {"id": user.pk, "phone": user.phone, "name": user.name, "memberships": memberships}


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def tokens(request):
    """Through a token: that token and those no wider than it (a narrow token does not see the user's others)."""
    return [_token_out(t) for t in selectors.token_list(user=request.auth, via=getattr(request, "api_token", None))]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token")
def token_create(request, payload: TokenIn):
    """A new token for estates you belong to. Called with a token, the new one may cover only that token's
    estates and may not expire later than it (a leaked token cannot widen or prolong itself)."""
    token, raw = services.token_create(user=request.auth, name=payload.name, estate_ids=payload.estate_ids,
                                       days=payload.days, via=getattr(request, "api_token", None))
    return Status(201, _token_out(token, raw))


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def token_revoke(request, token_id: int):
    """Through a token: only that token and those no wider than it; others answer 404."""
    return _token_out(services.token_revoke(user=request.auth, token_id=token_id,
                                            via=getattr(request, "api_token", None)))


@router.post("/me/password", response=PasswordChangedOut, throttle=[PerUserThrottle("10/m")],
             summary="Change my password (revokes all my API tokens)")
def password_change(request, payload: PasswordChangeIn):
    """A wrong current password answers 400 ``wrong_password``; a weak or unchanged new one 400 ``weak_password``."""
    revoked = services.password_change(user=request.auth, current_password=payload.current_password,
                                       new_password=payload.new_password)
    return {"tokens_revoked": revoked}


def _membership_out(m, actor) -> dict:
    full = actor.has_any(MOBILE_FULL_ROLES)
    return {"id": m.pk, "user_id": m.user_id, "user_name": m.user.name,
            "phone": m.user.phone if full else mask_mobile(m.user.phone), "role": m.role,
            "role_label": str(Role(m.role).label), "created_at": m.created_at, "ended_at": m.ended_at}


@router.get("/estates/{estate_id}/memberships", response=list[MembershipOut],
            summary="Members of the estate and their roles (staff)")
def memberships(request, estate_id: int, include_ended: bool = False):
    actor = api_actor(request, estate_id)
    if not MembershipPolicy.can(actor, "view"):
        raise Forbidden()
    qs = selectors.estate_memberships(actor=actor).order_by("pk")
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    return [_membership_out(m, actor) for m in qs]


@router.post("/estates/{estate_id}/memberships", response={201: MembershipOut},
             summary="Grant a role in the estate (managers)")
def membership_grant(request, estate_id: int, payload: MembershipIn):
    """Grants ``role`` to the user with ``phone``; an account without a password is created if none exists
    (the person sets a password through the reset flow)."""
    actor = api_actor(request, estate_id)
    with transaction.atomic():
        from gongzhi.estate.validators import InvalidValue, parse_mobile

        try:
            phone = parse_mobile(payload.phone)
        except InvalidValue as exc:
            raise DomainError(exc.reason, code="invalid_mobile") from None
        user = selectors.user_by_phone(phone)
        if user is None:
            user = services.user_create(actor_user=actor.user, phone=phone, name=payload.name, password=None)
        membership = services.membership_grant(actor=actor, user=user, role=payload.role)
    return Status(201, _membership_out(membership, actor))


@router.delete("/estates/{estate_id}/memberships/{membership_id}", response=MembershipOut,
               summary="End a membership (managers)")
def membership_revoke(request, estate_id: int, membership_id: int):
    actor = api_actor(request, estate_id)
    membership = services.membership_revoke(actor=actor, membership_id=membership_id)
    return _membership_out(membership, actor)
