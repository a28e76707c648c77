"""Reads of tickets. Each takes the actor and returns only what the actor may see."""

from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.core.pagination import Page, paginate

from .models import Category, Comment, Ticket, TicketEvent

LIST_RELATED = ("category", "house__building", "house__unit", "building", "unit", "assignee", "submitted_by",
                "on_behalf_of_person", "about_staff")
# The ticket's own columns a list row shows (presenters.ticket_row_data).
ROW_FIELDS = ("id", "number", "kind", "category_id", "priority", "scope", "house_id", "building_id", "unit_id", "place",
              "title", "status", "assignee_id", "submitted_by_id", "on_behalf_of_person_id", "channel", "anonymous",
              "about_staff_id", "hold_reason", "reopen_count", "submitted_at", "first_response_at", "resolved_at",
              "closed_at", "sla_state", "response_due_at", "resolution_due_at", "response_breached",
              "resolution_breached", "escalation_level")


def category_list(*, actor: Actor) -> QuerySet:
    return Category.objects.restrict(actor).filter(active=True).order_by("sort_key", "name")


def _filtered(qs: QuerySet, *, status: str | None = None, kind: str | None = None, category_id: int | None = None,
              assignee_id: int | None = None, building_id: int | None = None) -> QuerySet:
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


def ticket_list(*, actor: Actor, status: str | None = None, kind: str | None = None,
                category_id: int | None = None, assignee_id: int | None = None,
                building_id: int | None = None) -> QuerySet:
    return _filtered(Ticket.objects.restrict(actor).select_related(*LIST_RELATED), status=status, kind=kind,
                     category_id=category_id, assignee_id=assignee_id, building_id=building_id)


def ticket_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None, **filters) -> Page:
    """Newest first."""
    return paginate(ticket_list(actor=actor, **filters), cursor=cursor, limit=limit, descending=True)


def ticket_row_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None, **filters) -> Page:
    """``ticket_page`` for the API's list: the same tickets, as dicts of the ticket's ``ROW_FIELDS`` with the names
    of what each points to under ``<relation>_name`` (for ``presenters.ticket_rows_data``), in one query. The
    names come from one-row subqueries by primary key rather than joins, so the databases filter and order on
    the tickets' indexes alone and PostgreSQL plans one table, not ten; no model instances are made
    (bench/README.md, tickets)."""
    return paginate(ticket_rows(actor=actor, **filters), cursor=cursor, limit=limit, descending=True)


def ticket_rows(*, actor: Actor, **filters) -> QuerySet:
    """The query of ``ticket_row_page``, unordered and unpaginated."""
    return _filtered(Ticket.objects.restrict(actor), **filters).values(*ROW_FIELDS, **_row_names())


def _row_names() -> dict:
    from django.contrib.auth import get_user_model

    from gongzhi.estate.models import Building, House, Person, Unit

    def name_of(model, column: str, name=None) -> Subquery:
        shown = F("name") if name is None else name
        return Subquery(model._base_manager.filter(pk=OuterRef(column)).annotate(shown=shown).values("shown")[:1],
                        output_field=CharField())

    # As User.__str__ and House.code have them.
    user = Coalesce(NullIf("name", Value("")), "phone", output_field=CharField())
    User = get_user_model()
    return {
        "category_name": name_of(Category, "category_id"),
        "house_name": name_of(House, "house_id", Concat("building__name", Value("-"), "unit__name", Value("-"),
                                                         "number", output_field=CharField())),
        "building_name": name_of(Building, "building_id"), "unit_name": name_of(Unit, "unit_id"),
        "assignee_name": name_of(User, "assignee_id", user), "submitted_by_name": name_of(User, "submitted_by_id", user),
        "about_staff_name": name_of(User, "about_staff_id", user),
        "on_behalf_of_person_name": name_of(Person, "on_behalf_of_person_id"),
    }


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
