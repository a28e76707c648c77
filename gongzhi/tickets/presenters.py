"""What the API shows of tickets. An anonymous complaint hides who submitted it from staff below the manager."""

from django.urls import reverse

from gongzhi.core.access import Actor

from . import workflow
from .models import Comment, Ticket, TicketEvent, TicketPhoto
from .policies import TicketPolicy


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def hides_submitter(actor: Actor, ticket: Ticket) -> bool:
    return (ticket.anonymous and actor.user_id != ticket.submitted_by_id
            and not TicketPolicy.sees_anonymous_submitter(actor))


def _hidden(actor: Actor, ticket: Ticket, user_id) -> bool:
    """Whether the user behind an event or a comment is to be hidden (the submitter of an anonymous complaint)."""
    return hides_submitter(actor, ticket) and user_id == ticket.submitted_by_id


def ticket_row_data(actor: Actor, ticket: Ticket) -> dict:
    hidden = hides_submitter(actor, ticket)
    house = None if hidden else ticket.house  # a house would name the household as well as a name would
    return {
        "id": ticket.pk, "number": ticket.number, "kind": ticket.kind, "category_id": ticket.category_id,
        "category": ticket.category.name, "priority": ticket.priority, "scope": ticket.scope,
        "house_id": house.pk if house else None, "house": house.code if house else None,
        "building_id": ticket.building_id, "building": ticket.building.name if ticket.building else None,
        "unit_id": ticket.unit_id, "unit": ticket.unit.name if ticket.unit else None, "place": ticket.place,
        "title": ticket.title, "status": ticket.status, "assignee": _user(ticket.assignee),
        "submitted_by": None if hidden else _user(ticket.submitted_by),
        "on_behalf_of": None if hidden or ticket.on_behalf_of_person is None else {
            "id": ticket.on_behalf_of_person_id, "name": ticket.on_behalf_of_person.name},
        "channel": ticket.channel, "anonymous": ticket.anonymous,
        "about_staff": _user(ticket.about_staff) if TicketPolicy.sees_staff_complaints(actor) else None,
        "hold_reason": ticket.hold_reason or None, "reopen_count": ticket.reopen_count,
        "submitted_at": ticket.submitted_at, "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at, "closed_at": ticket.closed_at,
        "sla_state": ticket.sla_state, "response_due_at": ticket.response_due_at,
        "resolution_due_at": ticket.resolution_due_at, "response_breached": ticket.response_breached,
        "resolution_breached": ticket.resolution_breached, "escalation_level": ticket.escalation_level,
    }


def event_data(actor: Actor, ticket: Ticket, event: TicketEvent) -> dict:
    return {"id": event.pk, "at": event.at, "action": event.action, "from_status": event.from_status or None,
            "to_status": event.to_status, "note": event.note, "assignee": _user(event.assignee),
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
