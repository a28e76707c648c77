"""The technician's mobile view (/e/<id>/tech/): my queue, the open repairs I may grab, and a ticket with big
buttons for the work (accept, start, hold, resume, resolve), a camera upload and a quote for a paid repair.

Technicians and the desk (who may also hold tickets) use it; anyone else gets 403. A ticket the actor may not see
answers 404."""

from django.urls import path, reverse

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page

from .. import page_selectors, quotes, selectors
from ..choices import QuoteLineKind, Scope, TicketKind
from ..policies import is_staff
from . import forms as f
from . import live
from .shared import detail, done, error_context, perform, with_countdowns

TECH_ACTIONS = {"grab", "accept", "start", "hold", "resume", "resolve", "comment", "internal", "photo",
                "quote_propose"}


def _technician(request):
    actor = request.actor
    if not is_staff(actor):
        raise Forbidden()
    return actor


@estate_page
def my_queue(request):
    actor = _technician(request)
    skills = page_selectors.technician_skills(actor=actor)
    return render_page(request, "tickets/tech_queue.html", {
        "rows": with_countdowns(actor, page_selectors.technician_queue(actor=actor)),
        "grabbable": with_countdowns(actor, page_selectors.grabbable(actor=actor, skills=skills)),
        "skills": skills, "skill_names": [page_selectors.skill_names(actor=actor).get(s, s) for s in skills or []]})


def _detail_context(actor, ticket_id: int, version: str) -> dict:
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    context = live.poll_context(actor, ticket_id, "tickets:tech_live", version)
    context.update(detail(actor, ticket))
    context.update(side="tech", mine=ticket.assignee_id == actor.user_id, photo_form=f.PhotoForm(),
                   comment_form=f.CommentForm(), hold_form=f.HoldForm(), line_kinds=QuoteLineKind.choices,
                   quote_rows=range(f.QUOTE_ROWS), can_quote=_can_quote(actor, ticket))
    return context


def _can_quote(actor, ticket) -> bool:
    """Whether ``quotes.quote_propose`` would take a quote for the ticket now: the assignee or the desk, on a repair
    inside a house, while the work is on."""
    return (quotes.QuotePolicy.can(actor, "propose", ticket) and ticket.kind == TicketKind.REPAIR
            and ticket.scope == Scope.PRIVATE and ticket.status in quotes.QUOTABLE)


@estate_page
def ticket_detail(request, ticket_id):
    actor = _technician(request)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    url = reverse("tickets:tech_detail", args=[actor.estate.pk, ticket.pk])
    status, extra = 200, {}
    if request.method == "POST":
        try:
            return done(request, perform(request, actor, ticket, TECH_ACTIONS), url)
        except DomainError as error:
            status, extra = error.status, {**error_context(error), "posted": request.POST}
    version = live.version_of(actor, ticket_id)
    return render_page(request, "tickets/tech_detail.html", {**_detail_context(actor, ticket_id, version),
                                                             **extra}, status=status)


@estate_page
def ticket_live(request, ticket_id):
    actor = _technician(request)
    return live.respond(request, actor, ticket_id, template="tickets/_tech_live.html",
                        context=lambda version: _detail_context(actor, ticket_id, version))


urlpatterns = [
    path("tech/", my_queue, name="tech_queue"),
    path("tech/tickets/<int:ticket_id>/", ticket_detail, name="tech_detail"),
    path("tech/tickets/<int:ticket_id>/live/", ticket_live, name="tech_live"),
]
