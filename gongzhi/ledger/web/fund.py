"""The maintenance fund's pages: an owner's sub-accounts (mobile-first), a project (owners and staff), and the
console (finance, the manager and the committee): totals, houses below the top-up line, projects, and the forms for
deposits, top-ups, interest and projects.

Views only call the fund's services and reads; who may do what is LedgerPolicy's answer (anyone else gets 403, a
house or project the actor may not see is 404). Forms that move money preview first where a mistake would touch
many houses (deposits, interest) and carry an idempotency key, so a double submit posts once.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import Page, decode_cursor, encode_cursor, paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.selectors import house_by_ref
from gongzhi.estate.validators import parse_house_ref
from gongzhi.estate.web.views import pager, render_page

from .. import fund, fund_projects
from ..choices import FundProjectStatus
from ..policies import LedgerPolicy
from ..presenters import role_label
from ..services import document_store
from .fund_forms import ApprovalForm, CancelForm, DepositForm, InterestForm, PayForm, ProjectForm, TopUpForm
from .layout import CONSOLE, base_for

LIST_LIMIT = 50
SCOPE_LIMIT = 200
INTEREST_PREVIEW_ROWS = 20


def _reader(request):
    actor = request.actor
    if not LedgerPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


def _console(request, action: str = "view_private"):
    """The console: finance, the manager and the committee (who oversees the fund); writing needs ``post``."""
    actor = request.actor
    if not LedgerPolicy.can(actor, "view_private") or not LedgerPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _home(actor) -> str:
    return reverse("ledger:fund_console", kwargs={"estate_id": actor.estate.pk})


def _bar(totals, share) -> dict:
    """The balance against the initial deposit for the inline SVG bar: widths in % of the bar (capped), the line
    at the top-up share."""
    if totals.initial <= 0:
        return {}
    ratio = float(totals.balance / totals.initial) if totals.balance > 0 else 0.0  # drawing only, never money
    return {"fill": round(min(ratio, 1.0) * 100, 1), "line": round(float(share) * 100, 1)}


def _statement_context(statement) -> dict:
    return {"statement": statement, "bar": _bar(statement.totals, statement.share)}


# --- owners ------------------------------------------------------------------------------------------------------
@estate_page
def my_fund(request):
    """My houses' sub-accounts: initial deposit, balance, the 30 % line and a warning below it, the history, and
    the projects that charged each house."""
    actor = _reader(request)
    statements = fund.my_fund(actor=actor)
    projects = {}
    for statement in statements:
        projects[statement.house.pk] = list(fund_projects.fund_project_list(actor=actor, house_id=statement.house.pk)
                                            [:LIST_LIMIT])
    return render_page(request, "ledger/fund/my_fund.html", {
        "base": base_for(actor),
        "houses": [{**_statement_context(s), "projects": projects[s.house.pk]} for s in statements]})


@estate_page
def fund_project(request, project_id):
    """A project: items, budget, scope, the decision (tally) or the EMERGENCY flag, payments and my share of each.
    Staff and the committee act on it here (each form posts with its ``action``)."""
    actor = _reader(request)
    project = fund_projects.fund_project_get(actor=actor, project_id=project_id)
    forms = {}
    if request.method == "POST":
        response, forms = _project_action(request, actor, project)
        if response is not None:
            return response
        project = fund_projects.fund_project_get(actor=actor, project_id=project_id)
    view = fund_projects.project_view(actor=actor, project=project)
    scope_page = None
    if view.sees_houses:
        scope_page = paginate(fund_projects.scope_house_page(actor=actor, project=project, view=view),
                              cursor=request.GET.get("cursor") or None, limit=SCOPE_LIMIT)
    can_post = LedgerPolicy.can(actor, "post")
    can_approve = (LedgerPolicy.can(actor, "approve") and not project.emergency
                   and fund_projects.allowed(project, "approve"))
    context = {
        "base": base_for(actor), "view": view, "project": project, "scope_page": scope_page,
        "private": LedgerPolicy.can(actor, "view_private"),
        "approval_role": role_label(project.approval.decided_by_role) if project.approval_id else "",
        "pager": pager(request, scope_page) if scope_page else None,
        "tally": (project.approval.tally or None) if project.approval_id else None,
        "can": {"approve": can_approve,
                "start": can_post and fund_projects.allowed(project, "start"),
                "pay": can_post and fund_projects.allowed(project, "pay") and view.left > 0,
                "complete": can_post and fund_projects.allowed(project, "complete"),
                "cancel": can_post and fund_projects.allowed(project, "cancel") and view.paid == 0},
        "approval_form": forms.get("approve") or ApprovalForm(),
        "pay_form": forms.get("pay") or PayForm(initial={"amount": view.left}),
        "cancel_form": forms.get("cancel") or CancelForm(),
    }
    return render_page(request, "ledger/fund/project.html", context, status=400 if forms else 200)


ACTION_PERMISSIONS = {"approve": "approve", "start": "post", "pay": "post", "complete": "post", "cancel": "post"}


def _with_document(actor, upload, call):
    """Store the upload as a ledger document and call the service with it, in one transaction: if the service
    refuses, neither the document's row nor its file is left behind."""
    stored = None
    try:
        with transaction.atomic():
            stored = document_store(actor=actor, upload=upload, check_permission=False)
            return call(stored)
    except Exception:
        if stored is not None:
            stored.file.storage.delete(stored.file.name)
        raise


def _project_action(request, actor, project):
    """Run the posted action. Returns (a redirect, {}) when done, or (None, {action: form with errors})."""
    action = request.POST.get("action", "")
    if action not in ACTION_PERMISSIONS:
        raise DomainError(code="unknown_action")
    if not LedgerPolicy.can(actor, ACTION_PERMISSIONS[action]):
        raise Forbidden()
    here = reverse("ledger:fund_project", kwargs={"estate_id": actor.estate.pk, "project_id": project.pk})
    if action in {"start", "complete"}:
        service = fund_projects.fund_project_start if action == "start" else fund_projects.fund_project_complete
        service(actor=actor, project_id=project.pk)
        return redirect(here), {}
    if action == "cancel":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                fund_projects.fund_project_cancel(actor=actor, project_id=project.pk,
                                                  reason=form.cleaned_data["reason"])
            except DomainError as error:
                if error.status in {403, 404, 409}:
                    raise
                form.add_service_error(error)
            else:
                return redirect(here), {}
        return None, {"cancel": form}
    if action == "approve":
        form = ApprovalForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                _with_document(actor, form.cleaned_data["document"], lambda doc: (
                    fund_projects.fund_project_record_approval(
                        actor=actor, project_id=project.pk, decision=form.cleaned_data["decision"],
                        tally=form.tally(), documents=[doc], note=form.cleaned_data["note"])))
            except DomainError as error:
                if error.status in {403, 404, 409}:
                    raise
                form.add_service_error(error)
            else:
                return redirect(here), {}
        return None, {"approve": form}
    if action == "pay":
        form = PayForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = _with_document(actor, d["invoice"], lambda doc: fund_projects.fund_project_pay(
                    actor=actor, project_id=project.pk, amount=d["amount"], date=d["date"], documents=[doc],
                    idempotency_key=d["idempotency_key"], description=d["description"]))
            except DomainError as error:
                if error.status in {403, 404}:
                    raise
                form.add_service_error(error)
            else:
                messages.success(request, _("Payment of %(amount)s posted as entry #%(seq)s.") % {
                    "amount": result.payment.amount, "seq": result.payment.entry.seq})
                if result.shortfalls:
                    messages.warning(request, _("%(count)s houses of the charge scope are now below zero: their "
                                                "owners are reminded to top up.") % {"count": len(result.shortfalls)})
                return redirect(here), {}
        return None, {"pay": form}
    raise DomainError(code="unknown_action")  # pragma: no cover (checked above)


# --- console -----------------------------------------------------------------------------------------------------
@estate_page
def fund_console(request):
    """The fund at a glance: totals, houses below the line (the first ones; the full list is paged), projects."""
    actor = _console(request)
    summary = fund.fund_summary(actor=actor)
    status = request.GET.get("status") or None
    if status not in FundProjectStatus.values:
        status = None
    page = paginate(fund_projects.fund_project_list(actor=actor, status=status), descending=True,
                    cursor=request.GET.get("cursor") or None, limit=LIST_LIMIT)
    below = fund.houses_below_line(estate=actor.estate)
    return render_page(request, "ledger/fund/console.html", {
        "summary": summary, "share_percent": fund.percent_text(summary.share), "projects": page.items,
        "pager": pager(request, page), "status": status, "statuses": FundProjectStatus.choices,
        "below": below[:10], "below_count": len(below), "can_post": LedgerPolicy.can(actor, "post")})


def _house_page(request, rows) -> Page:
    after = request.GET.get("cursor")
    if after:
        last = decode_cursor(after)
        rows = [r for r in rows if r.house_id > last]
    items = rows[:LIST_LIMIT]
    more = len(rows) > LIST_LIMIT
    return Page(items=items, next_cursor=encode_cursor(items[-1].house_id) if more and items else None)


@estate_page
def fund_houses(request):
    """Every house's sub-account (or only those below the line), paged by house."""
    actor = _console(request)
    only_below = request.GET.get("below") == "1"
    if only_below:
        rows = fund.houses_below_line(estate=actor.estate)
    else:
        houses = list(fund.estate_houses(actor.estate).order_by("pk"))
        rows = fund.house_funds(estate=actor.estate, houses=houses)
    page = _house_page(request, rows)
    return render_page(request, "ledger/fund/houses.html", {
        "rows": page.items, "pager": pager(request, page), "only_below": only_below})


@estate_page
def fund_house(request, house_id):
    """Any house's statement, for the console."""
    actor = _console(request)
    statement = fund.house_statement(actor=actor, house_id=house_id)
    projects = list(fund_projects.fund_project_list(actor=actor, house_id=statement.house.pk)[:LIST_LIMIT])
    return render_page(request, "ledger/fund/house.html", {**_statement_context(statement), "projects": projects})


def _run(form, call):
    """Call a service; its 400 goes back on the form, other errors are shown as the error page."""
    try:
        return call()
    except DomainError as error:
        if error.status in {403, 404}:
            raise
        form.add_service_error(error)
        return None


@estate_page
def fund_deposits(request):
    """Initial deposits: preview how many houses and how much, then confirm (the confirmation is refused if the
    plan changed since the preview)."""
    actor = _console(request, "post")
    form = DepositForm(request.POST or None)
    plan, changed = None, False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        plan = _run(form, lambda: fund.fund_deposit_plan(actor=actor, rate_per_m2=d["rate_per_m2"]))
        if plan is not None and request.POST.get("action") == "confirm":
            changed = (d["expected_count"], d["expected_total"]) != (plan.count, plan.total)
            if not changed and _run(form, lambda: fund.fund_deposit_initial(
                    actor=actor, date=d["date"], rate_per_m2=d["rate_per_m2"])) is not None:
                return redirect(_home(actor))
        if plan is not None and not form.errors:  # the preview: what was checked is what gets confirmed
            form = DepositForm(initial={**d, "expected_count": plan.count, "expected_total": plan.total})
    return render_page(request, "ledger/fund/deposits.html", {
        "form": form, "plan": plan, "changed": changed, "preview": plan.to_deposit[:20] if plan else []},
        status=400 if form.errors or changed else 200)


def _house_from_ref(actor, text: str):
    ref = parse_house_ref(text)
    house = house_by_ref(actor=actor, building=ref.building, unit=ref.unit, number=ref.number) if ref else None
    if house is None:
        raise DomainError(_("No such house: write it as building-unit-number."), code="invalid_field",
                          detail={"field": "house"})
    return house


@estate_page
def fund_top_up(request):
    actor = _console(request, "post")
    initial = {}
    if request.GET.get("house", "").isdigit():
        house = fund.estate_houses(actor.estate).filter(pk=int(request.GET["house"])).first()
        initial = {"house": house.code} if house else {}
    form = TopUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = _run(form, lambda: fund.fund_top_up(
            actor=actor, house_id=_house_from_ref(actor, d["house"]).pk, amount=d["amount"], date=d["date"],
            idempotency_key=d["idempotency_key"], description=d["description"]))
        if entry is not None:
            return redirect(_home(actor))
    return render_page(request, "ledger/fund/top_up.html", {"form": form}, status=400 if form.errors else 200)


@estate_page
def fund_interest(request):
    """Interest: preview each house's share (by balance on the date), then confirm."""
    actor = _console(request, "post")
    form = InterestForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        plan = _run(form, lambda: fund.fund_interest_plan(actor=actor, amount=d["amount"], date=d["date"]))
        if plan is not None and request.POST.get("action") == "confirm":
            entry = _run(form, lambda: fund.fund_interest_allocate(actor=actor, amount=d["amount"], date=d["date"],
                                                                   period_label=d["period_label"]))
            if entry is not None:
                return redirect(_home(actor))
    rows = []
    if plan is not None:
        houses = {h.pk: h for h in fund.estate_houses(actor.estate).filter(
            pk__in=sorted(plan.shares)[:INTEREST_PREVIEW_ROWS])}
        rows = [{"house": houses.get(h), "balance": plan.balances[h], "share": plan.shares[h]}
                for h in sorted(plan.shares)[:INTEREST_PREVIEW_ROWS]]
    return render_page(request, "ledger/fund/interest.html", {"form": form, "plan": plan, "rows": rows},
                       status=400 if form.errors else 200)


@estate_page
def fund_project_new(request):
    actor = _console(request, "post")
    form = ProjectForm(request.POST or None, estate=actor.estate)
    if request.method == "POST" and form.is_valid():
        project = _run(form, lambda: fund_projects.fund_project_propose(actor=actor, **form.service_fields()))
        if project is not None:
            return redirect("ledger:fund_project", actor.estate.pk, project.pk)
    return render_page(request, "ledger/fund/project_new.html", {"form": form, "console_base": CONSOLE},
                       status=400 if form.errors else 200)


urlpatterns = [
    path("ledger/fund/", my_fund, name="my_fund"),
    path("ledger/fund/projects/<int:project_id>/", fund_project, name="fund_project"),
    path("console/fund/", fund_console, name="fund_console"),
    path("console/fund/houses/", fund_houses, name="fund_houses"),
    path("console/fund/houses/<int:house_id>/", fund_house, name="fund_house"),
    path("console/fund/deposits/", fund_deposits, name="fund_deposits"),
    path("console/fund/top-up/", fund_top_up, name="fund_top_up"),
    path("console/fund/interest/", fund_interest, name="fund_interest"),
    path("console/fund/projects/new/", fund_project_new, name="fund_project_new"),
]
