"""Reads of tickets. Each takes the actor and returns only what the actor may see."""

from django.db.models import QuerySet

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.core.pagination import Page, paginate

from .models import Category, Comment, Ticket, TicketEvent

LIST_RELATED = ("category", "house__building", "house__unit", "building", "unit", "assignee", "submitted_by",
                "on_behalf_of_person", "about_staff")


def category_list(*, actor: Actor) -> QuerySet:
    return Category.objects.restrict(actor).filter(active=True).order_by("sort_key", "name")


def ticket_list(*, actor: Actor, status: str | None = None, kind: str | None = None,
                category_id: int | None = None, assignee_id: int | None = None,
                building_id: int | None = None) -> QuerySet:
    qs = Ticket.objects.restrict(actor).select_related(*LIST_RELATED)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if building_id:
        qs = qs.filter(building_id=building_id)
    return qs


def ticket_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None, **filters) -> Page:
    """Newest first."""
    return paginate(ticket_list(actor=actor, **filters), cursor=cursor, limit=limit, descending=True)


def ticket_get(*, actor: Actor, ticket_id: int) -> Ticket:
    ticket = Ticket.objects.restrict(actor).select_related(*LIST_RELATED).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def ticket_timeline(*, actor: Actor, ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.restrict(actor).filter(ticket=ticket).select_related("actor", "assignee")
                .order_by("at", "pk"))


def ticket_comments(*, actor: Actor, ticket: Ticket) -> list[Comment]:
    return list(Comment.objects.restrict(actor).filter(ticket=ticket).select_related("author")
                .order_by("created_at", "pk"))
