"""The resident portal's tickets (mobile-first): my tickets, report a problem, one ticket with its timeline,
comments, the actions open to the household, the quote and the rating.

Only the household's own tickets are here (``page_selectors.my_tickets``): another household's ticket answers
404, for staff too (they have the console)."""

import uuid

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate import selectors as estate_selectors
from gongzhi.estate.web.views import pager, render_page

from .. import page_selectors, selectors, services
from ..choices import TicketStatus
from ..policies import TicketPolicy
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

PAGE_SIZE = 20
# What the household may post to its ticket's page; the workflow and the services decide whether it may now.
PORTAL_ACTIONS = {"comment", "cancel", "close", "reopen", "rate", "quote_decide"}
CHIPS = [("open", pgettext_lazy("ticket status", "Open")), ("resolved", _("Resolved")), ("done", _("Closed")), ("", _("All"))]




@estate_page
def my_tickets(request):
    """My tickets, newest first, by status chip."""
    actor = request.actor
    group = request.GET.get("status", "")
    group = group if group in page_selectors.STATUS_GROUPS else ""
    page = paginate(page_selectors.my_tickets(actor=actor, group=group or None),
                    cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, descending=True)
    return render_page(request, "tickets/portal_list.html", {
        "rows": with_countdowns(actor, page.items), "pager": pager(request, page), "group": group, "chips": CHIPS,
        "can_submit": TicketPolicy.can(actor, "submit"),
    })


def _submit_form(actor, data=None, files=None):
    houses = [r.house for r in estate_selectors.my_houses(actor=actor)]
    buildings = {h.building_id: h.building for h in houses}
    units = {h.unit_id: h.unit for h in houses}
    initial = {"idempotency_key": uuid.uuid4().hex}
    if len(houses) == 1:
        initial["house"] = houses[0].pk
    return f.TicketForm(data, files, initial=initial, categories=list(selectors.category_list(actor=actor)),
                        houses=houses, buildings=buildings.values(), units=units.values())


@estate_page
def new_ticket(request):
    """Report a problem: kind, category, my house or a common area, title, description and up to 9 photos, in
    one request. The form's idempotency key makes a double submit one ticket."""
    actor = request.actor
    if not TicketPolicy.can(actor, "submit"):
        raise Forbidden()
    if request.method != "POST":
        return render_page(request, "tickets/portal_new.html", {"form": _submit_form(actor)})
    form = _submit_form(actor, request.POST, request.FILES)
    key = request.POST.get("idempotency_key", "")
    earlier = page_selectors.ticket_by_idempotency_key(actor=actor, key=key)
    if earlier is not None:  # the same form sent twice: the first one's ticket, and nothing more
        return done(request, _("Your report was already received."),
                    reverse("tickets:portal_detail", args=[actor.estate.pk, earlier.pk]))
    try:
        if not form.is_valid():
            raise form_error(form)
        data = form.cleaned_data
        check_photos(data["photos"])
        started = timezone.now()
        ticket = services.ticket_submit(
            actor=actor, kind=data["kind"], category_id=data["category"], scope=data["scope"], title=data["title"],
            description=data["description"], house_id=data["house"] if data["scope"] == "private" else None,
            building_id=data["building"] if data["scope"] == "common" else None,
            unit_id=data["unit"] if data["scope"] == "common" else None,
            place=data["place"] if data["scope"] == "common" else "",
            anonymous=data["anonymous"] and data["kind"] == "complaint", idempotency_key=data["idempotency_key"])
        url = reverse("tickets:portal_detail", args=[actor.estate.pk, ticket.pk])
        if ticket.submitted_at < started:  # a double submit that raced past the check above
            return done(request, _("Your report was already received."), url)
    except DomainError as error:
        return render_page(request, "tickets/portal_new.html", {"form": form, **error_context(error)},
                           status=error.status)
    try:
        add_photos(actor, ticket.pk, data["photos"])
    except DomainError as error:
        return done(request, _("Ticket %(number)s was created, but a photo was not added: %(error)s")
                    % {"number": ticket.number, "error": error.text()}, url)
    return done(request, _("Thank you: ticket %(number)s was received.") % {"number": ticket.number}, url)


@estate_page
def ticket_detail(request, ticket_id):
    """One of my tickets: status, timeline, comments, what I may do now, the quote, the rating."""
    actor = request.actor
    ticket = page_selectors.my_ticket_get(actor=actor, ticket_id=ticket_id)
    url = reverse("tickets:portal_detail", args=[actor.estate.pk, ticket.pk])
    status, extra = 200, {}
    if request.method == "POST":
        try:
            return done(request, perform(request, actor, ticket, PORTAL_ACTIONS), url)
        except DomainError as error:
            status, extra = error.status, {**error_context(error), "posted": request.POST}
    version = live.version_of(actor, ticket_id, household_only=True)
    return render_page(request, "tickets/portal_detail.html",
                       {**_detail_context(actor, ticket_id, version), **extra}, status=status)


def _detail_context(actor, ticket_id: int, version: str) -> dict:
    ticket = page_selectors.my_ticket_get(actor=actor, ticket_id=ticket_id)
    context = live.poll_context(actor, ticket_id, "tickets:portal_live", version)
    context.update(detail(actor, ticket))
    context.update(side="portal", comment_form=f.CommentForm(), rating_form=f.RatingForm(),
                   can_rate=ticket.status == TicketStatus.RESOLVED and context["current_rating"] is None,
                   rating_stars=range(1, 6))
    return context


@estate_page
def ticket_live(request, ticket_id):
    """The poll: 204 while nothing changed, else the refreshed part of the page."""
    actor = request.actor
    return live.respond(request, actor, ticket_id, household_only=True, template="tickets/_portal_live.html",
                        context=lambda version: _detail_context(actor, ticket_id, version))


urlpatterns = [
    path("tickets/", my_tickets, name="portal_list"),
    path("tickets/new/", new_ticket, name="portal_new"),
    path("tickets/<int:ticket_id>/", ticket_detail, name="portal_detail"),
    path("tickets/<int:ticket_id>/live/", ticket_live, name="portal_live"),
]
