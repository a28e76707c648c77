"""Organising owners' votes (console): the list, a new vote and its items, the vote's page with live progress and
its actions (open, extend, close, publish, cancel), the frozen roll, written and on-site ballots with their scans,
proxies with their written authorisations, and the access-checked scans.

Views only shape input and call the services (votes.py, ballots.py) and reads (selectors.py, tally.py); who may
do what is VotePolicy's answer (DESIGN.md habit 5): organising needs "organise", ballots by hand "enter_ballot",
proxies "record_proxy", scans "view_scans"; anyone else gets 403, a vote of another estate 404. The roll is
published with the vote (DOMAIN.md "Owners' votes"), so every member may read it; only organisers see names."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import base_for

from .. import ballots, documents, selectors, votes
from ..choices import BallotForm, VoteStatus
from ..policies import VotePolicy
from .forms import BallotEnterForm, ExtendForm, ItemForm, ProxyForm, ReasonForm, RevokeForm, VoteForm

LIST_LIMIT = 50
ROLL_LIMIT = 100


def _allowed(request, action: str):
    actor = request.actor
    if not VotePolicy.can(actor, action):
        raise Forbidden()
    return actor


def _vote_url(vote) -> str:
    return reverse("governance:vote", kwargs={"estate_id": vote.estate_id, "vote_id": vote.pk})


def _keep_on_form(form, error) -> None:
    """A 403/404 stays a 403/404 page; anything else is shown next to the field it names."""
    if error.status in {403, 404}:
        raise error
    form.add_service_error(error)


def _fund_projects(actor):
    from gongzhi.ledger.choices import FundProjectStatus
    from gongzhi.ledger.fund_projects import fund_project_list

    try:
        return list(fund_project_list(actor=actor, status=FundProjectStatus.PROPOSED)[:LIST_LIMIT])
    except DomainError:
        return []


# --- the list and a new vote ---------------------------------------------------------------------------------------
@estate_page
def vote_list(request):
    actor = _allowed(request, "organise")
    status = request.GET.get("status") or None
    if status not in VoteStatus.values:
        status = None
    rows = list(selectors.vote_list(estate=actor.estate, actor=actor, status=status)[:LIST_LIMIT])
    return render_page(request, "governance/votes/console_list.html", {
        "votes": rows, "status": status, "statuses": VoteStatus.choices})


@estate_page
def vote_new(request):
    actor = _allowed(request, "organise")
    projects = _fund_projects(actor)
    form = VoteForm(request.POST or None, fund_projects=projects)
    if request.method == "POST" and form.is_valid():
        try:
            vote = votes.vote_create(actor=actor, **form.service_fields())
        except DomainError as error:
            _keep_on_form(form, error)
        else:
            messages.success(request, _("Draft saved. Add the items the owners will vote on, then open it."))
            return redirect(_vote_url(vote))
    return render_page(request, "governance/votes/vote_new.html", {"form": form},
                       status=400 if form.errors else 200)


# --- the vote ------------------------------------------------------------------------------------------------------
ACTIONS = {"open", "extend", "close", "publish", "cancel", "remove_item"}


@estate_page
def vote_detail(request, vote_id):
    """Items, live progress against both 2/3 floors, and the actions the vote's state allows."""
    actor = _allowed(request, "organise")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    forms = {}
    if request.method == "POST":
        response, forms = _action(request, actor, vote)
        if response is not None:
            return response
        vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    items = list(selectors.vote_items(vote))
    progress = progress_bars(vote, items) if vote.status in {VoteStatus.OPEN, VoteStatus.CLOSED} else None
    context = {
        "vote": vote, "items": items, "progress": progress,
        "can": {"edit": vote.status == VoteStatus.DRAFT,
                "open": vote.status == VoteStatus.DRAFT and bool(items),
                "extend": vote.status == VoteStatus.OPEN,
                "close": vote.status == VoteStatus.OPEN,
                "publish": vote.status == VoteStatus.CLOSED,
                "cancel": vote.status in {VoteStatus.DRAFT, VoteStatus.OPEN},
                "enter": vote.status == VoteStatus.OPEN and VotePolicy.can(actor, "enter_ballot"),
                "proxies": vote.status in {VoteStatus.OPEN, VoteStatus.CLOSED, VoteStatus.PUBLISHED}},
        "extend_form": forms.get("extend") or ExtendForm(initial={"closes_at": vote.closes_at}),
        "cancel_form": forms.get("cancel") or ReasonForm(),
    }
    return render_page(request, "governance/votes/vote.html", context, status=400 if forms else 200)


def _bar(label: str, measure: str, part, whole, floor: dict | None, met: bool, unit: str = "") -> dict:
    """One progress bar: the figures as text (exact), the widths in % of the bar for drawing only (never counted
    with), the floor's mark at its fraction."""
    from fractions import Fraction

    from .votes_portal import threshold_words

    part_f, whole_f = Fraction(str(part)), Fraction(str(whole))
    share = min(part_f / whole_f, 1) if whole_f > 0 else Fraction(0)
    at = Fraction(floor["fraction"]) if floor else Fraction(2, 3)
    return {"label": label, "measure": measure, "part": part, "whole": whole, "unit": unit, "met": met,
            "fill": round(float(share) * 100, 2), "floor": round(float(at) * 100, 2),
            "words": threshold_words(floor) if floor else ""}


def progress_bars(vote, items) -> dict:
    """tally.vote_progress as bars: the vote's participation by area and by headcount against the 2/3 floors
    (DOMAIN.md: both measures, always), then per item."""
    from ..tally import vote_progress

    p = vote_progress(vote)
    titles = {item.pk: f"{item.position}. {item.title}" for item in items}

    def pair(row):
        return [_bar(_("Voting area"), "area", row["area"], p["total_area"], p["floor_area"], row["area_met"], "m²"),
                _bar(_("Headcount"), "heads", row["heads"], p["total_heads"], p["floor_heads"], row["heads_met"])]

    return {"houses": p["houses"], "total_houses": p["total_houses"], "met": p["met"], "bars": pair(p),
            "items": [{"title": titles.get(row["id"], row["position"]), "bars": pair(row)} for row in p["items"]]}


def _action(request, actor, vote):
    """Run the posted action: (redirect, {}) when done, (None, {action: form with errors}) otherwise. A refusal
    of the vote's state (409) is shown as a message on the vote's page."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise DomainError(_("Unknown action."), code="unknown_action")
    here = _vote_url(vote)
    try:
        if action == "open":
            votes.vote_open(actor=actor, vote_id=vote.pk)
            messages.success(request, _("The vote is open: the roll is frozen and the notice is published."))
        elif action == "close":
            votes.vote_close(actor=actor, vote_id=vote.pk)
            messages.success(request, _("The vote is closed. Check the figures, then publish the result."))
        elif action == "publish":
            votes.vote_publish(actor=actor, vote_id=vote.pk)
            messages.success(request, _("The result is published as a notice."))
            return redirect("governance:vote_result", estate_id=vote.estate_id, vote_id=vote.pk), {}
        elif action == "remove_item":
            votes.vote_item_remove(actor=actor, vote_id=vote.pk, item_id=_int(request.POST.get("item")))
            messages.success(request, _("The item was removed."))
        elif action in {"extend", "cancel"}:
            form = ExtendForm(request.POST) if action == "extend" else ReasonForm(request.POST)
            if not form.is_valid():
                return None, {action: form}
            try:
                if action == "extend":
                    votes.vote_extend(actor=actor, vote_id=vote.pk, closes_at=form.cleaned_data["closes_at"],
                                      reason=form.cleaned_data["reason"])
                    messages.success(request, _("The deadline is extended and the notice is published."))
                else:
                    votes.vote_cancel(actor=actor, vote_id=vote.pk, reason=form.cleaned_data["reason"])
                    messages.success(request, _("The vote is cancelled."))
            except DomainError as error:
                if error.status == 409:
                    raise
                _keep_on_form(form, error)
                return None, {action: form}
    except DomainError as error:
        if error.status in {403, 404}:
            raise
        messages.error(request, error.text())
    return HttpResponseRedirect(here), {}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


@estate_page
def vote_item_new(request, vote_id):
    actor = _allowed(request, "organise")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        options = [{"label": label, **_candidate(actor, label, d["form"])} for label in d["option_lines"]]
        try:
            votes.vote_item_add(actor=actor, vote_id=vote.pk, title=d["title"], matter=d["matter"], form=d["form"],
                                description=d["description"], seats=d["seats"], options=options)
        except DomainError as error:
            if error.status == 409:
                raise
            _keep_on_form(form, error)
        else:
            messages.success(request, _("The item was added."))
            return redirect(_vote_url(vote))
    return render_page(request, "governance/votes/item_new.html", {"vote": vote, "form": form},
                       status=400 if form.errors else 200)


def _candidate(actor, label: str, form: str) -> dict:
    """An election's candidate is linked to the registry's person of that name when exactly one has it."""
    if form != BallotForm.ELECTION:
        return {}
    from gongzhi.estate.selectors import person_list

    found = list(person_list(actor=actor).filter(name=label).values_list("pk", flat=True)[:2])
    return {"person_id": found[0]} if len(found) == 1 else {}


# --- the roll ------------------------------------------------------------------------------------------------------
@estate_page
def vote_roll(request, vote_id):
    """The frozen roll, paged and searchable by house code; ``?download=json`` gives the published roll."""
    actor = _allowed(request, "view")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    if vote.status in {VoteStatus.DRAFT, VoteStatus.CANCELLED} and not vote.roll_sha256:
        raise NotFound()
    if request.GET.get("download") == "json":
        from ..published import published_roll

        response = JsonResponse({"vote": vote.pk, "roll_sha256": vote.roll_sha256, "roll": published_roll(vote)},
                                json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}-roll.json"'
        return response
    search = (request.GET.get("q") or "").strip()
    page = selectors.roll_page(vote=vote, cursor=request.GET.get("cursor") or None, limit=ROLL_LIMIT, search=search)
    from gongzhi.estate.web.views import pager

    return render_page(request, "governance/votes/roll.html", {
        "base": base_for(actor), "vote": vote, "page": page, "pager": pager(request, page), "q": search,
        "organiser": VotePolicy.can(actor, "organise")})


# --- ballots by hand -----------------------------------------------------------------------------------------------
def _roll_house(vote, text: str):
    """The roll entry for a house as people write it ('3-2-1502', '3栋2单元1502'), or None."""
    from gongzhi.estate.validators import parse_house_ref

    ref = parse_house_ref(text)
    code = f"{ref.building}-{ref.unit}-{ref.number}" if ref else text.strip()
    for entry in selectors.roll_page(vote=vote, limit=20, search=code).items:
        if entry["house_code"].upper() == code.upper():
            return entry
    return None


def _entry_house_id(entry) -> int:
    return entry["house_id"]


@estate_page
def vote_ballot_enter(request, vote_id):
    """A written (with its scan) or on-site ballot, by house code."""
    actor = _allowed(request, "enter_ballot")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    items = list(selectors.vote_items(vote))
    form = BallotEnterForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = _roll_house(vote, d["house"])
        if entry is None:
            form.add_error("house", _("This house is not on the vote's roll."))
        else:
            try:
                receipt = ballots.ballot_enter(
                    actor=actor, vote_id=vote.pk, house_id=_entry_house_id(entry), channel=d["channel"],
                    answers=d["answers"], scan=d["scan"], replaces_reason=d["replaces_reason"],
                    idempotency_key=d["idempotency_key"])
            except DomainError as error:
                _keep_on_form(form, error)
            else:
                messages.success(request, _("Ballot entered for %(house)s. Receipt code for the owner: %(code)s") % {
                    "house": d["house"], "code": receipt.code})
                return redirect("governance:vote_ballot_enter", estate_id=vote.estate_id, vote_id=vote.pk)
    return render_page(request, "governance/votes/ballot_enter.html", {"vote": vote, "form": form},
                       status=400 if form.errors else 200)


# --- proxies -------------------------------------------------------------------------------------------------------
@estate_page
def vote_proxies(request, vote_id):
    """Proxies of the vote; record one with its written authorisation, or revoke one."""
    actor = _allowed(request, "record_proxy")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    items = list(selectors.vote_items(vote))
    action = request.POST.get("action") if request.method == "POST" else None
    form = ProxyForm(request.POST if action == "record" else None, request.FILES if action == "record" else None,
                     items=items)
    revoke = RevokeForm(request.POST if action == "revoke" else None)
    if action == "record" and form.is_valid():
        if _record_proxy(actor, vote, form):
            messages.success(request, _("The proxy is recorded."))
            return redirect("governance:vote_proxies", estate_id=vote.estate_id, vote_id=vote.pk)
    elif action == "revoke" and revoke.is_valid():
        try:
            ballots.proxy_revoke(actor=actor, vote_id=vote.pk, proxy_id=revoke.cleaned_data["proxy"],
                                 reason=revoke.cleaned_data["reason"])
        except DomainError as error:
            if error.status in {403, 404}:
                raise
            messages.error(request, error.text())
        else:
            messages.success(request, _("The proxy is revoked."))
        return redirect("governance:vote_proxies", estate_id=vote.estate_id, vote_id=vote.pk)
    proxies = list(selectors.proxies_of(vote, actor=actor))
    codes = _house_codes(actor, {p.house_id for p in proxies})
    for proxy in proxies:
        proxy.house_code = codes.get(proxy.house_id, "")
    return render_page(request, "governance/votes/proxies.html", {
        "vote": vote, "proxies": proxies, "form": form, "revoke": revoke},
        status=400 if (form.errors or revoke.errors) else 200)


def _house_codes(actor, ids) -> dict[int, str]:
    from gongzhi.estate.selectors import house_list

    if not ids:
        return {}
    return {h.pk: h.code for h in house_list(actor=actor).filter(pk__in=ids).select_related("building", "unit")}


def _one_person(actor, text: str) -> list[int]:
    """The persons of the estate with this mobile number, or else this exact name."""
    from gongzhi.estate.selectors import person_list

    text = text.strip()
    found = list(person_list(actor=actor).filter(mobile=text).values_list("pk", flat=True)[:2]) if text else []
    if not found and text:
        found = list(person_list(actor=actor).filter(name=text).values_list("pk", flat=True)[:2])
    return found


def _record_proxy(actor, vote, form) -> bool:
    d = form.cleaned_data
    entry = _roll_house(vote, d["house"])
    if entry is None:
        form.add_error("house", _("This house is not on the vote's roll."))
        return False
    named = _one_person(actor, d["principal"])
    if len(named) != 1:
        form.add_error("principal", _("Give the owner's mobile number, or their name when no one else has it."))
        return False
    agents = _one_person(actor, d["agent_mobile"])
    if len(agents) != 1:
        form.add_error("agent_mobile", _("No single person of the estate has this mobile number."))
        return False
    try:
        with transaction.atomic():
            ballots.proxy_record(actor=actor, vote_id=vote.pk, house_id=_entry_house_id(entry),
                                 principal_person_id=named[0], agent_person_id=agents[0], items=d["items"],
                                 document=d["document"])
    except DomainError as error:
        _keep_on_form(form, error)
        return False
    return True


# --- scans ---------------------------------------------------------------------------------------------------------
@estate_page
def vote_document(request, vote_id, document_id):
    """A scan (written ballot, written authorisation): organisers only, of this estate only."""
    actor = _allowed(request, "view_scans")
    selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    return documents.document_response(actor=actor, document_id=document_id)


urlpatterns = [
    path("votes/", vote_list, name="votes"),
    path("votes/new/", vote_new, name="vote_new"),
    path("votes/<int:vote_id>/", vote_detail, name="vote"),
    path("votes/<int:vote_id>/items/new/", vote_item_new, name="vote_item_new"),
    path("votes/<int:vote_id>/roll/", vote_roll, name="vote_roll"),
    path("votes/<int:vote_id>/ballots/enter/", vote_ballot_enter, name="vote_ballot_enter"),
    path("votes/<int:vote_id>/proxies/", vote_proxies, name="vote_proxies"),
    path("votes/<int:vote_id>/documents/<int:document_id>/", vote_document, name="vote_document"),
]
