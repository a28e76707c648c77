"""Writes to tickets. Each is atomic, checks the policy and the workflow table, writes the ticket's timeline and
the audit record."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import STAFF_ROLES, Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.normalize import clean_text
from gongzhi.estate.models import Building, Estate, House, Person, Unit
from gongzhi.estate.policies import my_house_ids
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from . import sla, workflow
from .choices import Action, Channel, Priority, Scope, TicketKind, TicketStatus
from .defaults import DEFAULT_CATEGORIES
from .models import Category, Comment, Ticket, TicketEvent
from .policies import ASSIGNABLE_ROLES, CategoryPolicy, TicketPolicy, is_desk, is_staff
from .signals import ticket_submitted, ticket_transitioned

TICKET_FIELDS = ["number", "kind", "category_id", "priority", "scope", "house_id", "building_id", "unit_id",
                 "place", "title", "submitted_by_id", "on_behalf_of_person_id", "channel", "anonymous",
                 "about_staff_id", "status", "assignee_id", "hold_reason", "reopen_count", "first_response_at",
                 "resolved_at", "closed_at"]
NUMBER_PREFIX = {TicketKind.REPAIR: "R", TicketKind.COMPLAINT: "C", TicketKind.SUGGESTION: "S"}
TITLE_MAX = 120
TEXT_MAX = 4000


def _require(policy, actor: Actor, action: str, obj=None) -> None:
    if not policy.can(actor, action, obj):
        raise Forbidden()


def _invalid(field: str, reason) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field},
                       field=field, reason=reason)


def _choice(field: str, value, choices, default=None):
    if value in (None, ""):
        return default
    if value not in choices.values:
        raise _invalid(field, _("is not one of the allowed values"))
    return value


def _text(field: str, value, *, required: bool = False, max_length: int = TEXT_MAX) -> str:
    text = clean_text(value) if field in {"title", "place"} else str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("is required"))
    if len(text) > max_length:
        raise _invalid(field, _("is too long"))
    return text


# --- categories --------------------------------------------------------------------------------------------------
@transaction.atomic
def categories_ensure_defaults(*, actor: Actor) -> list[Category]:
    """Create the default categories the estate does not have yet (by name, in the actor's language)."""
    _require(CategoryPolicy, actor, "change")
    existing = set(Category.objects.for_estate(actor.estate).values_list("name", flat=True))
    created = []
    for order, (name, kind, priority, skill, response, resolution) in enumerate(DEFAULT_CATEGORIES):
        shown = gettext(name)
        if shown in existing:
            continue
        category = Category.objects.create(estate=actor.estate, name=shown, kind=kind, default_priority=priority,
                                           skill=skill, response_minutes=response, resolution_minutes=resolution,
                                           sort_key=order)
        audit(user=actor.user, estate=actor.estate, action="ticket_category.create", obj=category,
              after=snapshot(category))
        created.append(category)
    return created


# --- submitting --------------------------------------------------------------------------------------------------
def _next_number(estate: Estate, kind: str, now) -> str:
    """R/C/S + the local date + a five-digit sequence per estate, kind and day: R2026112100001. The estate row is
    locked while the number is taken, so two submits at once never draw the same one."""
    Estate.objects.select_for_update().filter(pk=estate.pk).values_list("pk", flat=True).first()
    prefix = f"{NUMBER_PREFIX[kind]}{timezone.localtime(now):%Y%m%d}"
    last = (Ticket.objects.filter(estate=estate, number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def _where(actor: Actor, *, scope: str, house_id, building_id, unit_id, place: str):
    """(house, building, unit, place) for the ticket, checked against the actor's reach."""
    if scope == Scope.PRIVATE:
        if not house_id:
            raise _invalid("house_id", _("is required for a problem inside a house"))
        houses = House.objects.filter(estate=actor.estate)
        if not is_desk(actor):
            houses = houses.filter(pk__in=my_house_ids(actor))
        house = houses.select_related("building", "unit").filter(pk=house_id).first()
        if house is None:
            raise _invalid("house_id", _("is not a house you may report for"))
        return house, house.building, house.unit, place
    if house_id:
        raise _invalid("house_id", _("must be empty for a common area"))
    unit = building = None
    if unit_id:
        unit = Unit.objects.filter(estate=actor.estate, pk=unit_id).select_related("building").first()
        if unit is None or (building_id and unit.building_id != building_id):
            raise _invalid("unit_id", _("is not a unit of this estate"))
        building = unit.building
    elif building_id:
        building = Building.objects.filter(estate=actor.estate, pk=building_id).first()
        if building is None:
            raise _invalid("building_id", _("is not a building of this estate"))
    if building is None and not place:
        raise _invalid("place", _("say where in the common area, or choose a building"))
    return None, building, unit, place


@transaction.atomic
def ticket_submit(*, actor: Actor, kind: str, category_id: int, scope: str, title: str, description: str = "",
                  house_id: int | None = None, building_id: int | None = None, unit_id: int | None = None,
                  place: str = "", priority: str | None = None, on_behalf_of_person_id: int | None = None,
                  channel: str | None = None, anonymous: bool = False, about_staff_id: int | None = None,
                  idempotency_key: str = "") -> Ticket:
    """A resident reports a problem (for a house of their own or a common area); the desk reports one on a
    resident's behalf (a phone call). With an idempotency key a repeated submit returns the first ticket.
    A complaint about a staff member goes to the estate's managers only (``about_staff_id``)."""
    _require(TicketPolicy, actor, "submit")
    key = clean_text(idempotency_key)[:64]
    if key:
        earlier = Ticket.objects.filter(estate=actor.estate, submitted_by=actor.user, idempotency_key=key).first()
        if earlier is not None:
            return earlier
    kind = _choice("kind", kind, TicketKind)
    if kind is None:
        raise _invalid("kind", _("is required"))
    scope = _choice("scope", scope, Scope)
    if scope is None:
        raise _invalid("scope", _("is required"))
    category = Category.objects.for_estate(actor.estate).filter(pk=category_id, active=True).first()
    if category is None:
        raise _invalid("category_id", _("is not a category of this estate"))
    person = None
    if on_behalf_of_person_id:
        if not is_desk(actor):
            raise _invalid("on_behalf_of_person_id", _("only the service desk submits on someone's behalf"))
        person = Person.objects.filter(estate=actor.estate, pk=on_behalf_of_person_id).first()
        if person is None:
            raise _invalid("on_behalf_of_person_id", _("is not a person of this estate"))
    if anonymous and kind != TicketKind.COMPLAINT:
        raise _invalid("anonymous", _("only a complaint may be anonymous"))
    about_staff = _staff_member(actor, about_staff_id, kind)
    house, building, unit, place = _where(actor, scope=scope, house_id=house_id, building_id=building_id,
                                          unit_id=unit_id, place=_text("place", place, max_length=120))
    default_channel = Channel.API if actor.via_token else (Channel.PHONE if person else Channel.PORTAL)
    now = timezone.now()
    values = {
        "kind": kind, "category": category, "scope": scope, "house": house, "building": building, "unit": unit,
        "place": place, "title": _text("title", title, required=True, max_length=TITLE_MAX),
        "description": _text("description", description),
        "priority": _choice("priority", priority, Priority, category.default_priority),
        "on_behalf_of_person": person, "channel": _choice("channel", channel, Channel, default_channel),
        "anonymous": bool(anonymous), "about_staff": about_staff, "submitted_by": actor.user,
        "idempotency_key": key, "submitted_at": now,
    }
    values.update(sla.submit_values(estate=actor.estate, category=category, priority=values["priority"], now=now))
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(estate=actor.estate, number=_next_number(actor.estate, kind, now),
                                           **values)
    except IntegrityError:
        # The same key raced in from a second request: the first one's ticket is the answer.
        earlier = Ticket.objects.filter(estate=actor.estate, submitted_by=actor.user, idempotency_key=key).first()
        if key and earlier is not None:
            return earlier
        raise
    TicketEvent.objects.create(estate=actor.estate, ticket=ticket, actor=actor.user, at=now, action=Action.SUBMIT,
                               from_status="", to_status=ticket.status)
    audit(user=actor.user, estate=actor.estate, action="ticket.submit", obj=ticket,
          after=snapshot(ticket, TICKET_FIELDS))
    if about_staff is not None:
        _notify_managers_of_staff_complaint(actor, ticket)
    ticket_submitted.send(sender=Ticket, ticket=ticket, actor=actor, now=now)
    if actor.estate.rules().get("tickets.auto_dispatch") and not about_staff:
        # The estate dispatches new tickets automatically: the system assigns it now (gongzhi.tickets.dispatch).
        from .dispatch import auto_dispatch_submitted

        ticket = auto_dispatch_submitted(ticket) or ticket
    return ticket


def _staff_member(actor: Actor, user_id: int | None, kind: str):
    """The staff member a complaint is about: someone holding a staff role in this estate now."""
    if not user_id:
        return None
    if kind != TicketKind.COMPLAINT:
        raise _invalid("about_staff_id", _("only a complaint may name a staff member"))
    membership = (Membership.objects.filter(estate=actor.estate, user_id=user_id, ended_at__isnull=True,
                                            role__in=STAFF_ROLES).select_related("user").first())
    if membership is None:
        raise _invalid("about_staff_id", _("is not a staff member of this estate"))
    return membership.user


def _notify_managers_of_staff_complaint(actor: Actor, ticket: Ticket) -> None:
    managers = [m.user for m in Membership.objects.filter(estate=actor.estate, role=Role.MANAGER,
                                                          ended_at__isnull=True).select_related("user")
                if m.user_id != ticket.about_staff_id]
    if managers:
        notify(estate=actor.estate, users=managers, kind=NotificationKind.TICKET_ASSIGNED,
               title=_("Complaint %(number)s about a staff member"),
               body=_("Complaint %(number)s “%(title)s” is about a staff member and comes to the managers."),
               params={"number": ticket.number, "title": ticket.title})


# --- the workflow ------------------------------------------------------------------------------------------------
def _assignable(actor: Actor, assignee_id: int | None):
    if assignee_id is None:
        return None
    membership = (Membership.objects.filter(estate=actor.estate, user_id=assignee_id, ended_at__isnull=True,
                                            role__in=ASSIGNABLE_ROLES).select_related("user").first())
    if membership is None:
        raise _invalid("assignee_id", _("is not a technician or desk member of this estate"))
    return membership.user


def _visible_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, locked for the rest of the transaction; 404 when the actor may not see it."""
    if not TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)).filter(pk=ticket_id).exists():
        raise NotFound()
    ticket = Ticket.objects.select_for_update().filter(estate=actor.estate, pk=ticket_id).first()
    if ticket is None:  # pragma: no cover - deleted in between (tickets are never deleted)
        raise NotFound()
    return ticket


@transaction.atomic
def ticket_transition(*, actor: Actor, ticket_id: int, action: str, note: str = "",
                      assignee_id: int | None = None, hold_reason: str | None = None) -> Ticket:
    """Apply one action of the workflow table to a ticket; 409 when the table does not allow it from the
    ticket's state, 403 when the actor is not a party to it, 404 when they cannot see the ticket. Holding needs
    ``hold_reason`` (parts or resident: waiting for the resident pauses the SLA clock). The SLA fields move with
    the step (``sla.transition_values``); an assignment or grab records when the technician last got a ticket
    (``dispatch.note_assigned``). ``actor`` may be ``workflow.system_actor(estate)`` (automatic dispatch)."""
    ticket = _visible_ticket(actor, ticket_id)
    note = _text("note", note)
    assignee = _assignable(actor, assignee_id) if action == Action.ASSIGN else None
    transition = workflow.check(actor, ticket, action, note=note, assignee=assignee, hold_reason=hold_reason)
    before = snapshot(ticket, TICKET_FIELDS)
    now = timezone.now()
    values = workflow.apply(ticket, transition, actor=actor, assignee=assignee, now=now, hold_reason=hold_reason)
    values.update(sla.transition_values(ticket, action, values, now, estate=actor.estate))
    # Conditional on the state just checked: with the row lock this is belt and braces against a lost update.
    updated = Ticket.objects.filter(pk=ticket.pk, status=ticket.status).update(updated_at=now, **values)
    if updated != 1:  # pragma: no cover - the row lock serialises transitions
        raise Conflict(_("The ticket changed meanwhile; reload it and try again."), code="stale_ticket")
    from_status = ticket.status
    for field, value in values.items():
        setattr(ticket, field, value)
    TicketEvent.objects.create(estate=actor.estate, ticket=ticket, actor=actor.user, at=now, action=action,
                               from_status=from_status, to_status=ticket.status, note=note,
                               hold_reason=hold_reason if action == Action.HOLD else "",
                               assignee=ticket.assignee if action in {Action.ASSIGN, Action.GRAB} else None)
    if action in {Action.ASSIGN, Action.GRAB}:
        from .dispatch import note_assigned

        note_assigned(ticket, now)
    audit(user=actor.user, estate=actor.estate, action=f"ticket.{action}", obj=ticket, before=before,
          after=snapshot(ticket, TICKET_FIELDS))
    _notify_transition(actor, ticket, action, from_status)
    ticket_transitioned.send(sender=Ticket, ticket=ticket, action=action, from_status=from_status,
                             actor=None if workflow.is_system(actor) else actor, now=now)
    return ticket


def _notify_transition(actor: Actor, ticket: Ticket, action: str, from_status: str) -> None:
    """The submitter hears of every change of state, the new assignee of the assignment; nobody of their own."""
    params = {"number": ticket.number, "title": ticket.title, "state": TicketStatus(ticket.status).label}
    if ticket.status != from_status and ticket.submitted_by_id != actor.user_id:
        notify(estate=actor.estate, users=[ticket.submitted_by], kind=NotificationKind.TICKET_UPDATE,
               title=_("Ticket %(number)s: %(state)s"), body=_("Your ticket %(number)s is now “%(state)s”."),
               params=params)
    if action in {Action.ASSIGN, Action.GRAB} and ticket.assignee_id and ticket.assignee_id != actor.user_id:
        notify(estate=actor.estate, users=[ticket.assignee], kind=NotificationKind.TICKET_ASSIGNED,
               title=_("Ticket %(number)s assigned to you"),
               body=_("Ticket %(number)s “%(title)s” has been assigned to you."), params=params)


def ticket_assign(*, actor: Actor, ticket_id: int, assignee_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.ASSIGN, assignee_id=assignee_id,
                             note=note)


def ticket_grab(*, actor: Actor, ticket_id: int) -> Ticket:
    """Grab mode (抢单): a technician takes an open ticket. Two at once: one wins, the other gets 409."""
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.GRAB)


def ticket_accept(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.ACCEPT, note=note)


def ticket_start(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.START, note=note)


def ticket_hold(*, actor: Actor, ticket_id: int, reason: str, hold_reason: str | None = None) -> Ticket:
    """``reason``: the note; ``hold_reason``: HoldReason (parts, or resident which pauses the SLA clock)."""
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.HOLD, note=reason,
                             hold_reason=hold_reason)


def ticket_resume(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.RESUME, note=note)


def ticket_resolve(*, actor: Actor, ticket_id: int, note: str) -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.RESOLVE, note=note)


def ticket_close(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.CLOSE, note=note)


def ticket_reject(*, actor: Actor, ticket_id: int, reason: str) -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.REJECT, note=reason)


def ticket_cancel(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.CANCEL, note=note)


def ticket_reopen(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    return ticket_transition(actor=actor, ticket_id=ticket_id, action=Action.REOPEN, note=note)


# --- comments ----------------------------------------------------------------------------------------------------
@transaction.atomic
def comment_add(*, actor: Actor, ticket_id: int, body: str, internal: bool = False) -> Comment:
    """A comment between the resident and staff; an internal note is for staff only."""
    ticket = _visible_ticket(actor, ticket_id)
    _require(TicketPolicy, actor, "comment_internal" if internal else "comment", ticket)
    body = _text("body", body, required=True)
    now = timezone.now()
    comment = Comment.objects.create(estate=actor.estate, ticket=ticket, author=actor.user, body=body,
                                     internal=bool(internal), created_at=now)
    if ticket.first_response_at is None and not internal and is_staff(actor):
        # A staff reply is the first response: it stops the response clock (met, or missed if late).
        values = {"first_response_at": now}
        values.update(sla.transition_values(ticket, "comment", values, now, estate=actor.estate))
        Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(updated_at=now, **values)
        for field, value in values.items():
            setattr(ticket, field, value)
    audit(user=actor.user, estate=actor.estate, action="ticket.comment", obj=comment,
          after={"ticket_id": ticket.pk, "internal": comment.internal})
    return comment


