from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.core.access import Actor
from gongzhi.core.errors import DomainError
from gongzhi.estate.policies import RegistryPolicy
from gongzhi.estate.web.views import start_page
from gongzhi.tickets.policies import is_technician

from .. import selectors, services
from .forms import LoginForm, PasswordChangeForm, TokenForm


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


def login_view(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request, "/"))
    form = LoginForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_authenticate(request=request, phone=form.cleaned_data["username"],
                                              password=form.cleaned_data["password"])
        except DomainError as exc:
            error, status = exc.text(), exc.status
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(_safe_next(request, "/"))
    return render(request, "accounts/login.html", {"form": form, "error": error,
                                                   "next": request.GET.get("next", "")}, status=status)


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """What django-axes answers a locked-out sign-in: the login page with the reason, status 429."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    error = _("Too many failed sign-ins. This account is locked for %(minutes)s minutes; try again later.") % {
        "minutes": minutes}
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        body = DomainError(error, code="locked_out", status=429).as_body()
        return JsonResponse(body, status=429)
    return render(request, "accounts/login.html", {"form": LoginForm(), "error": error}, status=429)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


@login_required
def home(request):
    """Straight to the estate when the user has one; a picker when several."""
    memberships = list(selectors.memberships_of(user=request.user))
    estates = {m.estate_id for m in memberships}
    if len(estates) == 1:
        estate = memberships[0].estate
        return redirect(start_page(Actor(user=request.user, estate=estate,
                                         roles=frozenset(m.role for m in memberships))))
    return redirect("accounts:estates")


@login_required
def estate_picker(request):
    by_estate: dict = {}
    for m in selectors.memberships_of(user=request.user):
        entry = by_estate.setdefault(m.estate_id, {"estate": m.estate, "roles": [], "codes": set()})
        entry["roles"].append(m.get_role_display())
        entry["codes"].add(m.role)
    for entry in by_estate.values():
        actor = Actor(user=request.user, estate=entry["estate"], roles=frozenset(entry["codes"]))
        entry["staff"] = RegistryPolicy.can(actor, "view")
        entry["technician"] = is_technician(actor)
    return render(request, "accounts/estates.html", {"entries": list(by_estate.values())})


@login_required
def tokens(request):
    memberships = selectors.memberships_of(user=request.user)
    choices = sorted({(str(m.estate_id), m.estate.name) for m in memberships})
    form = TokenForm(request.POST or None)
    form.fields["estates"].choices = choices
    created = None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                services.token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
                messages.success(request, _("The token was revoked."))
            except (DomainError, ValueError):
                messages.error(request, _("That token was not found."))
            return redirect("accounts:tokens")
        if form.is_valid():
            try:
                _token, created = services.token_create(
                    user=request.user, name=form.cleaned_data["name"],
                    estate_ids=[int(e) for e in form.cleaned_data["estates"]], days=form.cleaned_data["days"])
                form = TokenForm()
                form.fields["estates"].choices = choices
            except DomainError as exc:
                form.add_error(None, exc.text())
    return render(request, "accounts/tokens.html", {"form": form, "created": created,
                                                    "tokens": selectors.token_list(user=request.user)})


@login_required
def password_change(request):
    """The signed-in user changes their password; this browser stays signed in, every other session and every API
    token of theirs ends."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.password_change(user=request.user, current_password=form.cleaned_data["current_password"],
                                               new_password=form.cleaned_data["new_password"])
        except DomainError as exc:
            field = (exc.detail or {}).get("field")
            form.add_error(field if field in form.fields else None, exc.text())
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed. API tokens revoked: %(count)s.") % {
                "count": revoked})
            return redirect("accounts:estates")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)
