"""What the API shows of tickets. An anonymous complaint hides who submitted it from staff below the manager."""

from django.urls import reverse

from gongzhi.core.access import Actor

from . import workflow
from .models import Comment, Ticket, TicketEvent, TicketPhoto
from .policies import TicketPolicy
from .selectors import ROW_FIELDS


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def hides_submitter(actor: Actor, ticket: Ticket) -> bool:
    return (ticket.anonymous and actor.user_id != ticket.submitted_by_id
            and not TicketPolicy.sees_anonymous_submitter(actor))


def _hidden(actor: Actor, ticket: Ticket, user_id) -> bool:
    """Whether the user behind an event or a comment is to be hidden (the submitter of an anonymous complaint)."""
    return hides_submitter(actor, ticket) and user_id == ticket.submitted_by_id


# How a list row names what a ticket points to, from a ticket instance (with ``selectors.LIST_RELATED`` selected).
_INSTANCE_NAMES = {
    "category": lambda t: t.category.name, "house": lambda t: t.house.code, "building": lambda t: t.building.name,
    "unit": lambda t: t.unit.name, "assignee": lambda t: str(t.assignee), "submitted_by": lambda t: str(t.submitted_by),
    "about_staff": lambda t: str(t.about_staff), "on_behalf_of_person": lambda t: t.on_behalf_of_person.name,
}


def ticket_row_data(actor: Actor, ticket: Ticket) -> dict:
    return _row_data(actor, {f: getattr(ticket, f) for f in ROW_FIELDS}, lambda rel: _INSTANCE_NAMES[rel](ticket))


def ticket_rows_data(actor: Actor, rows: list[dict]) -> list[dict]:
    """``ticket_row_data`` of the rows of ``selectors.ticket_row_page`` (the ticket's columns and, under
    ``<relation>_name``, the names of what it points to): the same dicts, without model instances."""
    return [_row_data(actor, row, lambda rel, row=row: row[f"{rel}_name"]) for row in rows]


def _row_data(actor: Actor, t, name) -> dict:
    """A list row from ``t`` (the ticket's ``ROW_FIELDS``) and ``name(relation)``, asked only for what is shown."""
    hidden = (t["anonymous"] and actor.user_id != t["submitted_by_id"]
              and not TicketPolicy.sees_anonymous_submitter(actor))
    house_id = None if hidden else t["house_id"]  # a house would name the household as well as a name would

    def ref(relation: str) -> dict | None:
        pk = t[f"{relation}_id"]
        return None if pk is None else {"id": pk, "name": name(relation)}

    return {
        "id": t["id"], "number": t["number"], "kind": t["kind"], "category_id": t["category_id"],
        "category": name("category"), "priority": t["priority"], "scope": t["scope"],
        "house_id": house_id, "house": name("house") if house_id is not None else None,
        "building_id": t["building_id"], "building": name("building") if t["building_id"] is not None else None,
        "unit_id": t["unit_id"], "unit": name("unit") if t["unit_id"] is not None else None, "place": t["place"],
        "title": t["title"], "status": t["status"], "assignee": ref("assignee"),
        "submitted_by": None if hidden else ref("submitted_by"),
        "on_behalf_of": None if hidden else ref("on_behalf_of_person"),
        "channel": t["channel"], "anonymous": t["anonymous"],
        "about_staff": ref("about_staff") if TicketPolicy.sees_staff_complaints(actor) else None,
        "hold_reason": t["hold_reason"] or None, "reopen_count": t["reopen_count"],
        "submitted_at": t["submitted_at"], "first_response_at": t["first_response_at"],
        "resolved_at": t["resolved_at"], "closed_at": t["closed_at"],
        "sla_state": t["sla_state"], "response_due_at": t["response_due_at"],
        "resolution_due_at": t["resolution_due_at"], "response_breached": t["response_breached"],
        "resolution_breached": t["resolution_breached"], "escalation_level": t["escalation_level"],
    }


def event_data(actor: Actor, ticket: Ticket, event: TicketEvent) -> dict:
    return {"id": event.pk, "at": event.at, "action": event.action, "from_status": event.from_status or None,
            "to_status": event.to_status, "note": event.note, "hold_reason": event.hold_reason or None,
            "assignee": _user(event.assignee),
            "actor": None if _hidden(actor, ticket, event.actor_id) else _user(event.actor)}


def photo_data(photo: TicketPhoto) -> dict:
    """A photo's sizes and the API URLs that stream it (never a public media URL)."""
    url = reverse("api:ticket_photo", kwargs={"estate_id": photo.estate_id, "ticket_id": photo.ticket_id,
                                              "photo_id": photo.pk})
    return {"id": photo.pk, "comment_id": photo.comment_id, "created_at": photo.created_at,
            "content_type": photo.content_type, "width": photo.width, "height": photo.height,
            "bytes": photo.bytes, "url": url, "thumbnail_url": f"{url}?size=thumb"}


def comment_data(actor: Actor, ticket: Ticket, comment: Comment, photos: list[TicketPhoto] = ()) -> dict:
    return {"id": comment.pk, "created_at": comment.created_at, "body": comment.body, "internal": comment.internal,
            "author": None if _hidden(actor, ticket, comment.author_id) else _user(comment.author),
            "photos": [photo_data(p) for p in photos if p.comment_id == comment.pk]}


def ticket_detail_data(actor: Actor, ticket: Ticket, events: list[TicketEvent], comments: list[Comment],
                       photos: list[TicketPhoto] = ()) -> dict:
    """``photos``: the ticket's photos the actor may see; those of a comment are listed under the comment."""
    return {
        **ticket_row_data(actor, ticket), "description": ticket.description,
        "actions": workflow.allowed_actions(actor, ticket),
        "timeline": [event_data(actor, ticket, e) for e in events],
        "comments": [comment_data(actor, ticket, c, photos) for c in comments],
        "photos": [photo_data(p) for p in photos if p.comment_id is None],
    }
