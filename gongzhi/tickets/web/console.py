"""The staff console's tickets (dense, for the desk: manager, customer service, dispatcher): the list with filters,
SLA countdowns and bulk assignment; the board; the dispatcher's queue; a ticket with every action the workflow
allows; and a report taken on a resident's behalf (a phone call).

Who submitted an anonymous complaint, and complaints about staff, are shown exactly as ``presenters`` shows them
(``ticket_row_data`` / ``ticket_detail_data``)."""

import uuid

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate import selectors as estate_selectors
from gongzhi.estate.presenters import person_data
from gongzhi.estate.web.views import pager, render_page

from .. import dispatch, page_selectors, selectors, services
from ..choices import Priority
from ..policies import is_desk
from . import forms as f
from . import live
from .shared import (
    add_photos,
    check_photos,
    detail,
    done,
    error_context,
    form_error,
    perform,
    with_countdowns,
)

PAGE_SIZE = 50
CONSOLE_ACTIONS = {"comment", "internal", "assign", "auto_assign", "hold", "resume", "resolve", "reject", "close",
                   "reopen", "accept", "start"}


def _desk(request):
    """The tickets console is the desk's: manager, customer service, dispatcher (403 for anyone else)."""
    actor = request.actor
    if not is_desk(actor):
        raise Forbidden()
    return actor


def _sections(actor) -> dict:
    """What the tickets console's tabs need beyond their own (list, board, queue, new): the metrics page."""
    return {"metrics_url": reverse("tickets:metrics", args=[actor.estate.pk])}


def _filters(request, actor, people):
    form = f.ConsoleFilterForm(request.GET or None, categories=list(selectors.category_list(actor=actor)),
                               buildings=page_selectors.building_choices(actor=actor), people=people)
    filters = page_selectors.ConsoleFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = page_selectors.ConsoleFilters(status=data["status"], kind=data["kind"],
                                                category_id=data["category"], building_id=data["building"],
                                                assignee=data["assignee"], sla=data["sla"], q=data["q"])
    return form, filters


def _bulk_assign(request, actor) -> str:
    ids = [int(v) for v in request.POST.getlist("tickets") if v.isdigit()]
    form = f.AssignForm(request.POST)
    if not ids:
        raise DomainError(_("Tick the tickets to assign first."), code="nothing_selected")
    if not form.is_valid():
        raise form_error(form)
    assignee = form.cleaned_data["assignee"]
    count = len(dispatch.bulk_assign(actor=actor, ticket_ids=ids, assignee_id=assignee))
    return ngettext("%(count)s ticket was assigned.", "%(count)s tickets were assigned.", count) % {"count": count}


@estate_page
def ticket_list(request):
    """Every ticket the desk may see, newest first, with filters and SLA countdowns; tick some and assign them
    together."""
    actor = _desk(request)
    status, extra = 200, {}
    if request.method == "POST":
        try:
            return done(request, _bulk_assign(request, actor), request.get_full_path())
        except DomainError as error:
            status, extra = error.status, error_context(error)
    people = page_selectors.assignable_people(actor=actor)
    form, filters = _filters(request, actor, people)
    page = paginate(page_selectors.console_tickets(actor=actor, filters=filters),
                    cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, descending=True)
    return render_page(request, "tickets/console_list.html", {
        **_sections(actor), "form": form, "rows": with_countdowns(actor, page.items), "pager": pager(request, page),
        "people": people, "view": "list", **extra}, status=status)


@estate_page
def board(request):
    """Columns by status, the most urgent cards on top."""
    actor = _desk(request)
    people = page_selectors.assignable_people(actor=actor)
    form, filters = _filters(request, actor, people)
    columns = page_selectors.board_columns(actor=actor, filters=filters)
    now = timezone.now()
    for column in columns:
        column["rows"] = with_countdowns(actor, column.pop("cards"), now)
    return render_page(request, "tickets/console_board.html", {
        **_sections(actor), "form": form, "columns": columns, "view": "board"})


@estate_page
def queue(request):
    """The dispatcher's queue: open tickets, unassigned first, then breached or at risk, oldest first."""
    actor = _desk(request)
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    rows, more = page_selectors.dispatch_queue(actor=actor, offset=offset, limit=PAGE_SIZE)
    return render_page(request, "tickets/console_queue.html", {
        **_sections(actor), "rows": with_countdowns(actor, rows), "people": page_selectors.assignable_people(
            actor=actor), "view": "queue",
        "next_url": f"{request.path}?offset={offset + PAGE_SIZE}" if more else None,
        "first_url": request.path if offset else None})


# --- a report taken on the phone ----------------------------------------------------------------------------------
def _person_houses(person) -> list:
    today = timezone.localdate()
    return [r.house for r in person.residencies.all()
            if (r.start_date is None or r.start_date <= today) and (r.end_date is None or r.end_date >= today)]


def _desk_form(actor, person, data=None, files=None):
    houses = _person_houses(person) if person is not None else []
    initial = {"idempotency_key": uuid.uuid4().hex, "person": person.pk if person else None}
    if len(houses) == 1:
        initial["house"] = houses[0].pk
    return f.DeskTicketForm(data, files, initial=initial, categories=list(selectors.category_list(actor=actor)),
                            houses=houses, buildings=page_selectors.building_choices(actor=actor),
                            units=page_selectors.unit_choices(actor=actor), priorities=Priority.choices)


@estate_page
def new_ticket(request):
    """Take a report on a resident's behalf: find the caller (name, mobile or its last digits, or their id),
    then the same form as the portal's, for one of their houses or a common area."""
    actor = _desk(request)
    search = f.PersonSearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    person_id = request.POST.get("person") or (search.cleaned_data.get("person") if search.is_valid() else None)
    person = None
    if person_id:
        if not str(person_id).isdigit():
            raise NotFound()
        person = estate_selectors.person_get_for_actor(actor=actor, person_id=int(person_id))
    found = []
    if q and person is None:
        found = [person_data(actor, p) for p in estate_selectors.person_list(actor=actor, q=q).order_by("name",
                                                                                                          "pk")[:20]]
    context = {**_sections(actor), "search": search, "q": q, "found": found, "view": "new",
               "person": person_data(actor, person) if person else None}
    if request.method != "POST" or person is None:
        return render_page(request, "tickets/console_new.html", {**context, "form": _desk_form(actor, person)})
    form = _desk_form(actor, person, request.POST, request.FILES)
    earlier = page_selectors.ticket_by_idempotency_key(actor=actor, key=request.POST.get("idempotency_key", ""))
    if earlier is not None:
        return done(request, _("This report was already received."),
                    reverse("tickets:console_detail", args=[actor.estate.pk, earlier.pk]))
    try:
        if not form.is_valid():
            raise form_error(form)
        data = form.cleaned_data
        check_photos(data["photos"])
        private = data["scope"] == "private"
        ticket = services.ticket_submit(
            actor=actor, kind=data["kind"], category_id=data["category"], scope=data["scope"], title=data["title"],
            description=data["description"], house_id=data["house"] if private else None,
            building_id=None if private else data["building"], unit_id=None if private else data["unit"],
            place="" if private else data["place"], priority=data["priority"] or None,
            on_behalf_of_person_id=person.pk, idempotency_key=data["idempotency_key"])
    except DomainError as error:
        return render_page(request, "tickets/console_new.html", {**context, "form": form, **error_context(error)},
                           status=error.status)
    url = reverse("tickets:console_detail", args=[actor.estate.pk, ticket.pk])
    try:
        add_photos(actor, ticket.pk, data["photos"])
    except DomainError as error:
        return done(request, _("Ticket %(number)s was created, but a photo was not added: %(error)s")
                    % {"number": ticket.number, "error": error.text()}, url)
    return done(request, _("Ticket %(number)s was created.") % {"number": ticket.number}, url)


# --- one ticket ---------------------------------------------------------------------------------------------------
def _detail_context(actor, ticket_id: int, version: str) -> dict:
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    context = live.poll_context(actor, ticket_id, "tickets:console_live", version)
    context.update(detail(actor, ticket))
    context.update(side="console", people=page_selectors.assignable_people(actor=actor, ticket=ticket),
                   comment_form=f.CommentForm(), hold_form=f.HoldForm())
    return context


@estate_page
def ticket_detail(request, ticket_id):
    actor = _desk(request)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    url = reverse("tickets:console_detail", args=[actor.estate.pk, ticket.pk])
    status, extra = 200, {}
    if request.method == "POST":
        try:
            return done(request, perform(request, actor, ticket, CONSOLE_ACTIONS), url)
        except DomainError as error:
            status, extra = error.status, {**error_context(error), "posted": request.POST}
    version = live.version_of(actor, ticket_id)
    return render_page(request, "tickets/console_detail.html", {
        **_sections(actor), **_detail_context(actor, ticket_id, version), **extra}, status=status)


@estate_page
def ticket_live(request, ticket_id):
    actor = _desk(request)
    return live.respond(request, actor, ticket_id, template="tickets/_console_live.html",
                        context=lambda version: {**_sections(actor), **_detail_context(actor, ticket_id, version)})


urlpatterns = [
    path("console/tickets/", ticket_list, name="console_list"),
    path("console/tickets/board/", board, name="console_board"),
    path("console/tickets/queue/", queue, name="console_queue"),
    path("console/tickets/new/", new_ticket, name="console_new"),
    path("console/tickets/<int:ticket_id>/", ticket_detail, name="console_detail"),
    path("console/tickets/<int:ticket_id>/live/", ticket_live, name="console_live"),
]
