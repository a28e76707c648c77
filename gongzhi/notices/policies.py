"""Who may see and do what with notices (DESIGN.md habit 5): the API, the pages, the menus and the tasks ask these.

- Writing (drafts, publishing, corrections, withdrawals, reminders): the property manager and customer service,
  who speak for the property office and answer for what it announces.
- The console (every notice including drafts, read receipts, unread houses): the writers and the residents'
  committee liaison (居委会). The liaison coordinates the neighbourhood and already sees the registry
  (estate.policies.RegistryPolicy); seeing which houses have not read an important notice (a water cut, an
  elevator stop) lets the committee help reach them, for instance elderly residents living alone. The liaison does
  not publish: a notice goes out in the property office's name and pushes SMS and email to residents, so the
  office owns it; the committee's own announcements are a matter for its own channel.
- The archive of published notices (all targets, expired, superseded and withdrawn ones too): every staff role,
  the owners' committee and the liaison, since staff on the ground need to know about a water cut.
- Residents: the published notices that reach one of the houses they live in or own now, plus estate-wide ones;
  not withdrawn, not expired, not replaced by a published correction.
"""

from django.db.models import Q, QuerySet
from django.utils import timezone

from gongzhi.accounts.choices import COMMITTEE_ROLES, RESIDENT_ROLES, STAFF_ROLES, Role
from gongzhi.core.access import Actor
from gongzhi.estate.policies import my_house_ids

from .choices import UNPUBLISHED, NoticeStatus, NoticeTarget

WRITE_ROLES = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE})
CONSOLE_ROLES = WRITE_ROLES | {Role.RC_LIAISON}
ARCHIVE_ROLES = STAFF_ROLES | COMMITTEE_ROLES | {Role.RC_LIAISON}


def resident_feed(actor: Actor, qs: QuerySet, now=None) -> QuerySet:
    """The notices a resident sees now: published, not expired, not replaced by a published correction, and
    aimed at the whole estate or at the building or unit of a house they live in or own today (the live target,
    so a household that moved in after publication still learns of the water cut; the read receipts use the
    audience frozen at publication)."""
    now = now or timezone.now()
    return (qs.filter(_reaches_me(actor), status=NoticeStatus.PUBLISHED)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .exclude(superseded_by__status=NoticeStatus.PUBLISHED))


def _reaches_me(actor: Actor) -> Q:
    from gongzhi.estate.models import House

    from .models import Notice

    houses = House.objects.filter(estate=actor.estate, pk__in=my_house_ids(actor))
    by_building = Notice.buildings.through.objects.filter(building_id__in=houses.values("building_id"))
    by_unit = Notice.units.through.objects.filter(unit_id__in=houses.values("unit_id"))
    return (Q(target=NoticeTarget.ESTATE)
            | Q(target=NoticeTarget.BUILDINGS, pk__in=by_building.values("notice_id"))
            | Q(target=NoticeTarget.UNITS, pk__in=by_unit.values("notice_id")))


class NoticePolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"create", "change", "delete", "publish", "supersede", "withdraw", "remind"}:
            return actor.has_any(WRITE_ROLES)
        if action in {"console", "receipts"}:
            return actor.has_any(CONSOLE_ROLES)
        if action == "view":
            if obj is None:
                return actor.has_any(ARCHIVE_ROLES | RESIDENT_ROLES)
            return NoticePolicy.scope(actor, type(obj).objects.for_estate(actor.estate)).filter(pk=obj.pk).exists()
        return False

    @staticmethod
    def sees_archive(actor: Actor) -> bool:
        return actor.has_any(ARCHIVE_ROLES)

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action == "view":
            if actor.has_any(CONSOLE_ROLES):
                return qs
            if cls.sees_archive(actor):
                return qs.exclude(status__in=UNPUBLISHED)
            if actor.has_any(RESIDENT_ROLES):
                return resident_feed(actor, qs)
            return qs.none()
        return qs if cls.can(actor, action) else qs.none()


class NoticeAttachmentPolicy:
    """An attachment is seen by whoever sees its notice."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action == "view" and NoticePolicy.can(actor, "view")

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        from .models import Notice

        if action != "view":
            return qs.none()
        return qs.filter(notice__in=NoticePolicy.scope(actor, Notice.objects.for_estate(actor.estate)))


class NoticeReceiptPolicy:
    """Read receipts (which house read what) are the console's."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return action == "view" and actor.has_any(CONSOLE_ROLES)

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()
