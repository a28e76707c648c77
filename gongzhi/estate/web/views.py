"""The registry's pages: the resident portal (mobile-first) and the staff console (dense, desktop-first).

Views only call selectors and presenters; who may see what is always a policy's answer (DESIGN.md habit 5), the
same one the API and the menus get:

- the portal (/e/<id>/ and /e/<id>/houses/<id>/) shows the houses where the signed-in user's own person record
  currently lives or owns; any other house answers 404, for staff too (they have the console for that);
- the console needs ``RegistryPolicy.can(actor, "view")`` (staff who serve residents, the owners' committee, the
  residents' committee liaison); anyone else gets 403;
- people and vehicles inside the console need ``PersonPolicy.can(actor, "view")`` and are masked by the presenters
  (个人信息保护法: minimum necessary); the audit log needs ``AuditPolicy``;
- the menu shows a link only when the matching policy allows its action.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from gongzhi.accounts.choices import RESIDENT_ROLES, Role
from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.pagination import MAX_LIMIT, paginate
from gongzhi.core.policies import AuditPolicy
from gongzhi.core.selectors import audit_list
from gongzhi.core.web import estate_page

from .. import selectors
from ..choices import (
    AreaSource,
    HouseKind,
    HouseStatus,
    IdType,
    ResidencyKind,
    SpaceKind,
    SpaceStatus,
    VehicleKind,
)
from ..policies import PersonPolicy, RegistryPolicy
from ..presenters import house_data, house_detail_data, person_data, person_detail_data, vehicle_data
from .forms import AUDIT_ACTION_PREFIXES, AuditFilterForm, SearchForm

LIST_LIMIT = 50
# How a household is listed: owners first, then co-owners, family, tenants.
KIND_RANK = {ResidencyKind.OWNER: 0, ResidencyKind.CO_OWNER: 1, ResidencyKind.FAMILY: 2, ResidencyKind.TENANT: 3}


# --- shared --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Menu:
    """The links an actor may follow, each decided by the policy that guards the page behind it."""

    console: bool
    persons: bool
    import_registry: bool
    export_registry: bool
    audit: bool
    portal: bool
    tickets: bool  # the ticket desk: list, queue, board
    ticket_metrics: bool
    follow_ups: bool
    dispatch_settings: bool
    technician: bool  # the technician's mobile queue
    my_tickets: bool  # a resident's own tickets in the portal
    notices_console: bool
    ledger: bool  # the owners' public ledger, disclosure reports, verification
    ledger_books: bool  # finance's journal, expenses and approvals (staff-only fields)
    my_fund: bool  # an owner's maintenance-fund sub-accounts
    billing: bool  # the bills of every house (finance, the manager, customer service)
    billing_finance: bool  # bill runs, the cash desk, refunds, arrears, fee rules, downloads
    billing_reports: bool  # the collection rate (the owners' committee too)
    billing_meters: bool  # meters and readings (technicians read meters)
    my_bills: bool  # a resident's bills, online payment, statement
    votes_organise: bool  # organising owners' votes: drafts, roll, written ballots, proxies, close and publish
    votes: bool  # owners' votes: casting, receipts and published results (every member reads them)
    council_organise: bool  # council meetings, minutes, decisions and action items
    council: bool  # proposals, temporary-assembly requests, meetings and their minutes
    surveys_manage: bool  # questionnaires and their results
    my_surveys: bool  # surveys a resident can answer
    evaluation: bool  # the owners' committee's quarterly evaluation of the property company



def menu_for(actor: Actor) -> Menu:
    # The other apps' policies, imported here: the menu spans the apps, which themselves depend on the registry.
    from gongzhi.billing.policies import BILL_READ_ROLES, BillPolicy, MeterPolicy
    from gongzhi.governance.council_policies import CouncilPolicy
    from gongzhi.governance.policies import VotePolicy
    from gongzhi.ledger.policies import LedgerPolicy
    from gongzhi.notices.policies import NoticePolicy
    from gongzhi.surveys.policies import EvaluationPolicy, SurveyPolicy
    from gongzhi.tickets.dispatch import TechnicianProfilePolicy
    from gongzhi.tickets.feedback import FollowUpPolicy
    from gongzhi.tickets.metrics import MetricsPolicy
    from gongzhi.tickets.policies import is_desk, is_technician

    return Menu(
        console=RegistryPolicy.can(actor, "view"),
        persons=PersonPolicy.can(actor, "view"),
        import_registry=RegistryPolicy.can(actor, "import"),
        export_registry=RegistryPolicy.can(actor, "export"),
        audit=AuditPolicy.can(actor, "view"),
        portal=actor.has_any(RESIDENT_ROLES),
        tickets=is_desk(actor),
        ticket_metrics=MetricsPolicy.can(actor, "view"),
        follow_ups=FollowUpPolicy.can(actor, "view"),
        dispatch_settings=TechnicianProfilePolicy.can(actor, "change"),
        technician=is_technician(actor),
        my_tickets=actor.has_any(RESIDENT_ROLES),
        notices_console=NoticePolicy.can(actor, "console"),
        ledger=LedgerPolicy.can(actor, "view"),
        ledger_books=LedgerPolicy.can(actor, "view_private"),
        my_fund=Role.OWNER in actor.roles,
        billing=actor.has_any(BILL_READ_ROLES),
        billing_finance=BillPolicy.can(actor, "run"),
        billing_reports=BillPolicy.can(actor, "report"),
        billing_meters=MeterPolicy.can(actor, "read"),
        my_bills=actor.has_any(RESIDENT_ROLES),
        votes_organise=VotePolicy.can(actor, "organise"),
        votes=VotePolicy.can(actor, "view"),
        council_organise=CouncilPolicy.can(actor, "organise"),
        council=CouncilPolicy.can(actor, "view"),
        surveys_manage=SurveyPolicy.can(actor, "manage"),
        my_surveys=actor.has_any(RESIDENT_ROLES),
        evaluation=EvaluationPolicy.can(actor, "view"),
    )


def start_page(actor: Actor) -> str:
    """Where a member lands in an estate: a technician (not also at the desk) on their queue, whoever may browse the
    registry on the console, everyone else on the resident portal."""
    from django.urls import reverse

    from gongzhi.tickets.policies import is_desk, is_technician

    if is_technician(actor) and not is_desk(actor):
        return reverse("tickets:tech_queue", kwargs={"estate_id": actor.estate.pk})
    if RegistryPolicy.can(actor, "view"):
        return reverse("estate:console", kwargs={"estate_id": actor.estate.pk})
    return reverse("estate:portal", kwargs={"estate_id": actor.estate.pk})


def page_context(request) -> dict:
    """What the portal and console layouts (estate/portal_base.html, estate/console_base.html) need: the actor,
    the policy-checked menu and the header's search box. A page elsewhere that extends them passes this too."""
    actor = request.actor
    return {"actor": actor, "menu": menu_for(actor),
            "search_form": SearchForm(request.GET if "q" in request.GET else None)}


def render_page(request, template: str, context: dict, *, status: int = 200):
    """A page in the portal or console layout: the layout's context (page_context) plus the page's own."""
    return render(request, template, {**page_context(request), **context}, status=status)


def _console_actor(request) -> Actor:
    """The console is the registry browser: whoever may view the registry (RegistryPolicy) may open it."""
    actor = request.actor
    if not RegistryPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


def _people_actor(request) -> Actor:
    actor = _console_actor(request)
    if not PersonPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


def _page(request, queryset, *, limit: int = LIST_LIMIT, descending: bool = False):
    return paginate(queryset, cursor=request.GET.get("cursor") or None, limit=limit, descending=descending)


def pager(request, page) -> dict:
    """Links to the next page (keeping the filters) and back to the first."""
    params = request.GET.copy()
    params.pop("cursor", None)
    base = params.urlencode()
    first = f"{request.path}?{base}" if base else request.path
    following = None
    if page.next_cursor:
        params["cursor"] = page.next_cursor
        following = f"{request.path}?{params.urlencode()}"
    return {"next_url": following, "first_url": first if request.GET.get("cursor") else None}


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def _residency_rows(actor: Actor, house, data: dict) -> tuple[list[dict], list[dict]]:
    """The house's residencies split into current and past, labelled, the actor's own marked."""
    current, past = [], []
    shown = list(house.residencies.all()) if data["residencies"] else []  # empty without PersonPolicy view
    for residency, row in zip(shown, data["residencies"], strict=True):
        row = {**row, "kind_label": _label(ResidencyKind, row["kind"]),
               "is_me": residency.person.user_id is not None and residency.person.user_id == actor.user_id}
        (current if row["current"] else past).append(row)
    current.sort(key=lambda r: (KIND_RANK.get(r["kind"], 9), not r["is_representative"]))
    past.sort(key=lambda r: (r["end_date"] is None, r["end_date"]), reverse=True)
    return current, past


def _vehicle_rows(rows: list[dict]) -> list[dict]:
    return [{**v, "kind_label": _label(VehicleKind, v["kind"])} for v in rows]


def _space_rows(rows: list[dict]) -> list[dict]:
    return [{**s, "kind_label": _label(SpaceKind, s["kind"]), "status_label": _label(SpaceStatus, s["status"])}
            for s in rows]


def _house_context(actor: Actor, house) -> dict:
    data = house_detail_data(actor, house)
    current, past = _residency_rows(actor, house, data)
    return {"house": house, "data": data, "current": current, "past": past,
            "vehicles": _vehicle_rows(data["vehicles"]), "spaces": _space_rows(data["parking_spaces"])}


# --- resident portal -----------------------------------------------------------------------------------------


@estate_page
def portal(request):
    """My houses: where I live or what I own in this estate, with my role there."""
    actor = request.actor
    page = _page(request, selectors.my_houses(actor=actor))
    return render_page(request, "estate/portal.html", {"residencies": page.items, "pager": pager(request, page)})


@estate_page
def my_house(request, house_id):
    """One of my houses: the household (past residencies folded away), its vehicles and parking spaces."""
    actor = request.actor
    house = selectors.house_get_for_actor(actor=actor, house_id=house_id)
    context = _house_context(actor, house)
    if not any(r["is_me"] for r in context["current"]):
        raise NotFound()
    return render_page(request, "estate/my_house.html", context)


# --- staff console -------------------------------------------------------------------------------------------


def _dashboard_counts(actor: Actor, menu: Menu) -> dict:
    houses = selectors.house_list(actor=actor).aggregate(
        total=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in HouseStatus.values})
    spaces = selectors.space_list(actor=actor).aggregate(
        total=Count("pk"), free=Count("pk", filter=Q(status=SpaceStatus.FREE)))
    statuses = [{"value": value, "label": label, "count": houses[value],
                 "percent": round(100 * houses[value] / houses["total"], 1) if houses["total"] else 0}
                for value, label in HouseStatus.choices]
    return {
        "buildings": selectors.building_list(actor=actor).count(),
        "houses": houses["total"],
        "statuses": statuses,
        "by_status": {s["value"]: s["count"] for s in statuses},
        "persons": selectors.person_list(actor=actor).count() if menu.persons else None,
        "vehicles": selectors.vehicle_list(actor=actor).count() if menu.persons else None,
        "spaces_total": spaces["total"],
        "spaces_free": spaces["free"],
    }


@estate_page
def console(request):
    """The estate at a glance: counts, the buildings, the parking lots."""
    actor = _console_actor(request)
    menu = menu_for(actor)
    page = _page(request, selectors.building_list(actor=actor))
    return render_page(request, "estate/console.html", {
        "counts": _dashboard_counts(actor, menu), "buildings": page.items, "pager": pager(request, page),
        "lots": list(selectors.lot_list(actor=actor)[:LIST_LIMIT]),
    })


@estate_page
def building(request, building_id):
    actor = _console_actor(request)
    found = selectors.building_get(actor=actor, building_id=building_id)
    page = _page(request, selectors.unit_list(actor=actor, building=found))
    return render_page(request, "estate/building.html", {"building": found, "units": page.items,
                                                     "pager": pager(request, page)})


def _floor_number_key(house) -> tuple:
    digits = "".join(ch for ch in house.number if ch.isdigit())
    return (int(digits) if digits else 0, house.number)


@estate_page
def unit(request, unit_id):
    """A unit as a floor plan (楼盘表): floors top-down, houses coloured by status; filter by status."""
    actor = _console_actor(request)
    found = selectors.unit_get(actor=actor, unit_id=unit_id)
    status = request.GET.get("status") or None
    if status not in HouseStatus.values:
        status = None
    page = _page(request, selectors.house_list(actor=actor, unit_id=found.pk, status=status), limit=MAX_LIMIT)
    by_floor: dict = {}
    for house in page.items:
        by_floor.setdefault(house.floor, []).append(house)
    floors = [{"floor": floor, "houses": sorted(houses, key=_floor_number_key)}
              for floor, houses in sorted(by_floor.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))]
    return render_page(request, "estate/unit.html", {
        "unit": found, "floors": floors, "pager": pager(request, page), "status": status,
        "statuses": HouseStatus.choices, "house_count": len(page.items),
    })


@estate_page
def house(request, house_id):
    """A house: its facts (area and where the figure comes from), people now and before, vehicles, parking."""
    actor = _console_actor(request)
    found = selectors.house_get_for_actor(actor=actor, house_id=house_id)
    context = _house_context(actor, found)
    context.update(kind_label=_label(HouseKind, found.kind), area_source_label=_label(AreaSource, found.area_source),
                   status_label=_label(HouseStatus, found.status))
    return render_page(request, "estate/house.html", context)


@estate_page
def person(request, person_id):
    """A person: their houses (current and past) and vehicles; identifiers masked per role."""
    actor = _people_actor(request)
    found = selectors.person_get_for_actor(actor=actor, person_id=person_id)
    data = person_detail_data(actor, found)
    current, past = [], []
    for row in data["residencies"]:
        row = {**row, "kind_label": _label(ResidencyKind, row["kind"])}
        (current if row["current"] else past).append(row)
    return render_page(request, "estate/person.html", {
        "person": data, "id_type_label": _label(IdType, data["id_type"]), "current": current, "past": past,
        "vehicles": _vehicle_rows(data["vehicles"]),
    })


@estate_page
def search(request):
    """One box for houses, names, mobiles and plates. htmx asks for the live results fragment; a plain GET (no
    JavaScript, or Enter) gets the full page."""
    actor = _console_actor(request)
    menu = menu_for(actor)
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    found = selectors.registry_search(actor=actor, q=q)
    results = {
        "q": q,
        "houses": [{**house_data(h), "status_label": h.get_status_display()} for h in found["houses"]],
        "persons": [person_data(actor, p) for p in found["persons"]] if menu.persons else [],
        "vehicles": _vehicle_rows([vehicle_data(v) for v in found["vehicles"]]) if menu.persons else [],
    }
    results["empty"] = bool(q) and not (results["houses"] or results["persons"] or results["vehicles"])
    live = request.headers.get("HX-Request") == "true"
    response = render_page(request, "estate/_search_results.html" if live else "estate/search.html",
                       {"results": results, "live": live})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _changes(entry) -> list[dict]:
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [{"field": f, "before": before.get(f), "after": after.get(f)} for f in fields
            if before.get(f) != after.get(f)]


@estate_page
def audit_log(request):
    """Every write in the estate, newest first (managers: AuditPolicy); filter by action prefix."""
    actor = request.actor
    form = AuditFilterForm(request.GET)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    page = _page(request, audit_list(actor=actor, action=action or None), descending=True)
    entries = [{"entry": e, "at": timezone.localtime(e.at), "changes": _changes(e)} for e in page.items]
    return render_page(request, "estate/audit.html", {"form": form, "entries": entries, "pager": pager(request, page),
                                                  "action_prefixes": AUDIT_ACTION_PREFIXES, "action": action})
