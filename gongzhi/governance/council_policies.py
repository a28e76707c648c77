"""Who may do what with temporary assembly requests, proposals and council meetings (DESIGN.md habit 5).

- Assembly requests: every member reads them (a request is public, the list of signing houses too); owners start
  and sign them (for a house they represent: the service checks the house); family members and tenants cannot
  (DOMAIN.md: owners holding 20 % of area and headcount). The owners' committee (chair and members), which convenes
  the assembly, schedules a reached request.
- Proposals: any resident (owner, family, tenant) writes and co-signs; the author withdraws.
- Meetings, minutes, decisions, action items: every member reads them (transparency; minutes once the meeting is
  held); the organisers write: the owners' committee, the property manager, customer service and the residents'
  committee liaison. An action item is marked done by an organiser or by its owner (a user).
"""

from django.db.models import QuerySet

from gongzhi.accounts.choices import COMMITTEE_ROLES, RESIDENT_ROLES, Role
from gongzhi.core.access import Actor

ORGANISER_ROLES = COMMITTEE_ROLES | {Role.MANAGER, Role.CUSTOMER_SERVICE, Role.RC_LIAISON}


class AssemblyPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return bool(actor.roles) or actor.is_platform_admin
        if action in {"start", "sign"}:
            return Role.OWNER in actor.roles
        if action == "schedule":
            return actor.has_any(COMMITTEE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class CouncilPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return bool(actor.roles) or actor.is_platform_admin
        if action in {"propose", "cosign"}:
            return bool(actor.roles & RESIDENT_ROLES)
        if action == "withdraw":
            return obj is not None and obj.author_id == actor.user_id
        if action == "organise":
            return actor.has_any(ORGANISER_ROLES)
        if action == "complete":  # an action item
            return actor.has_any(ORGANISER_ROLES) or (obj is not None and obj.owner_user_id is not None
                                                      and obj.owner_user_id == actor.user_id)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()
