"""Who may see and do what with tickets (DESIGN.md habit 5). The per-state rules are in workflow.py."""

from django.db.models import Q, QuerySet

from gongzhi.accounts.choices import RESIDENT_ROLES, Role
from gongzhi.core.access import Actor
from gongzhi.estate.policies import my_house_ids

from .choices import TicketKind

# Staff who run the ticket desk: they see every ticket of the estate, submit on a resident's behalf, assign.
DESK_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE, Role.DISPATCHER})
TECHNICIAN_ROLES = frozenset({Role.TECHNICIAN})
# Who may be given a ticket: technicians for repairs, the desk itself for complaints and suggestions.
ASSIGNABLE_ROLES = DESK_ROLES | TECHNICIAN_ROLES
# Who sees the submitter of an anonymous complaint.
ANONYMITY_LIFTED_ROLES = frozenset({Role.MANAGER})
# Who handles a complaint about a staff member (issue 3): the managers, never the desk below them, and never the
# staff member it is about.
STAFF_COMPLAINT_ROLES = frozenset({Role.MANAGER})


def is_desk(actor: Actor) -> bool:
    return actor.has_any(DESK_ROLES)


def is_technician(actor: Actor) -> bool:
    return actor.has_any(TECHNICIAN_ROLES)


def is_staff(actor: Actor) -> bool:
    return is_desk(actor) or is_technician(actor)


def is_household(actor: Actor, ticket) -> bool:
    """The resident side of a ticket: who submitted it for themselves, the person it was submitted for, and
    whoever lives in or owns its house now."""
    if actor.user_id is None:
        return False
    if ticket.submitted_by_id == actor.user_id and not ticket.on_behalf_of_person_id:
        return True
    if ticket.on_behalf_of_person_id and ticket.on_behalf_of_person.user_id == actor.user_id:
        return True
    return bool(ticket.house_id) and my_house_ids(actor).filter(house_id=ticket.house_id).exists()


def is_assignee(actor: Actor, ticket) -> bool:
    return ticket.assignee_id is not None and ticket.assignee_id == actor.user_id


class TicketPolicy:
    """The desk sees every ticket of the estate; a technician sees the estate's repairs (to grab them) and whatever
    is assigned to them, but acts only on the latter (workflow.py); a resident sees their household's tickets and
    the ones they submitted; nobody else sees any."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "submit":
            return is_desk(actor) or actor.has_any(RESIDENT_ROLES)
        if action == "view":
            return is_staff(actor) or actor.has_any(RESIDENT_ROLES) or (obj is not None and is_household(actor, obj))
        if action == "comment":
            if obj is None:
                return is_staff(actor) or actor.has_any(RESIDENT_ROLES)
            return is_desk(actor) or is_assignee(actor, obj) or is_household(actor, obj)
        if action == "comment_internal":
            return is_desk(actor) or (is_technician(actor) and (obj is None or is_assignee(actor, obj)))
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        """The rules of :meth:`household_q`, written so that the databases can use the tickets' indexes: only the
        ticket's own columns (no join through the person a ticket was submitted for), and for residents the
        household's tickets as ``pk IN (one indexed lookup per branch, UNION ALL)``. An OR of the branches next to
        the estate's filter made SQLite and PostgreSQL walk all the estate's tickets newest first
        (bench/README.md, tickets); the desk's and technicians' lists are filtered on other columns first."""
        if is_desk(actor):
            if actor.has_any(STAFF_COMPLAINT_ROLES):
                return qs.exclude(about_staff_id=actor.user_id)
            return qs.filter(Q(about_staff__isnull=True) | cls._household_columns_q(actor))
        if not is_technician(actor):
            # Everyone else sees their household's tickets, complaints about staff included.
            return qs.filter(pk__in=cls._household_ticket_ids(actor)) if actor.user_id else qs.none()
        household = cls._household_columns_q(actor)
        visible = Q(assignee_id=actor.user_id) | Q(kind=TicketKind.REPAIR) | household
        # A complaint about a staff member is between the household and the managers.
        return qs.filter(visible).exclude(Q(about_staff__isnull=False) & ~household)

    @staticmethod
    def _household_persons(actor: Actor) -> QuerySet:
        from gongzhi.estate.models import Person

        return Person.objects.filter(user_id=actor.user_id).values("pk")

    @classmethod
    def _household_columns_q(cls, actor: Actor) -> Q:
        """:meth:`household_q` on the ticket's columns: ``on_behalf_of_person_id IN (the actor's persons)``
        rather than a join through the person."""
        if actor.user_id is None:
            return Q(pk__in=[])
        own = Q(submitted_by_id=actor.user_id, on_behalf_of_person_id__isnull=True)
        own |= Q(on_behalf_of_person_id__in=cls._household_persons(actor))
        if actor.has_any(RESIDENT_ROLES):
            own |= Q(house_id__in=my_house_ids(actor))
        return own

    @classmethod
    def _household_ticket_ids(cls, actor: Actor) -> QuerySet:
        """The ids of :meth:`household_q`'s tickets, each branch an indexed lookup (submitted_by, on_behalf_of_person,
        house), as one subquery."""
        from .models import Ticket

        tickets = Ticket.objects.all()
        branches = [tickets.filter(submitted_by_id=actor.user_id, on_behalf_of_person_id__isnull=True).values("pk"),
                    tickets.filter(on_behalf_of_person_id__in=cls._household_persons(actor)).values("pk")]
        if actor.has_any(RESIDENT_ROLES):
            branches.append(tickets.filter(house_id__in=my_house_ids(actor)).values("pk"))
        return branches[0].union(*branches[1:])

    @staticmethod
    def household_q(actor: Actor) -> Q:
        """The household's side: tickets the actor submitted for themselves, was submitted for, or of their
        homes."""
        if actor.user_id is None:
            return Q(pk__in=[])
        own = Q(submitted_by_id=actor.user_id, on_behalf_of_person__isnull=True)
        own |= Q(on_behalf_of_person__user_id=actor.user_id)
        if actor.has_any(RESIDENT_ROLES):
            own |= Q(house_id__in=my_house_ids(actor))
        return own

    @staticmethod
    def sees_anonymous_submitter(actor: Actor) -> bool:
        return actor.has_any(ANONYMITY_LIFTED_ROLES)

    @staticmethod
    def sees_staff_complaints(actor: Actor) -> bool:
        return actor.has_any(STAFF_COMPLAINT_ROLES)

    @staticmethod
    def sees_internal_notes(actor: Actor) -> bool:
        return is_staff(actor)


class CategoryPolicy:
    """Everyone who may submit or handle tickets sees the categories; managers set them up."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return is_staff(actor) or actor.has_any(RESIDENT_ROLES)
        if action == "change":
            return actor.has_any({Role.MANAGER})
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class TicketEventPolicy:
    """A timeline is seen by whoever sees its ticket."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action == "view" and TicketPolicy.can(actor, "view")

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action != "view":
            return qs.none()
        from .models import Ticket

        return qs.filter(ticket__in=TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)))


class CommentPolicy(TicketEventPolicy):
    """Comments: like the timeline, except that internal notes are for staff only."""

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        qs = super().scope(actor, qs, action)
        return qs if TicketPolicy.sees_internal_notes(actor) else qs.filter(internal=False)
