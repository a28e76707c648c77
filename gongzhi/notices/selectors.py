"""Reads of notices: always through NoticePolicy (Notice.objects.restrict), in the actor's estate."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.core.pagination import Page, paginate
from gongzhi.estate.models import Unit
from gongzhi.estate.policies import my_house_ids

from .choices import NoticeKind, NoticeState, NoticeStatus, NoticeTarget
from .models import Notice, NoticeHouse
from .policies import resident_feed

PREFETCH = ("buildings", Prefetch("units", queryset=Unit.objects.select_related("building")))
RELATED = ("supersedes", "superseded_by", "created_by", "published_by", "withdrawn_by")


def _state_filter(state: str, now) -> Q:
    corrected = Q(superseded_by__status=NoticeStatus.PUBLISHED)
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    published = Q(status=NoticeStatus.PUBLISHED)
    return {
        NoticeState.DRAFT: Q(status=NoticeStatus.DRAFT),
        NoticeState.SCHEDULED: Q(status=NoticeStatus.SCHEDULED),
        NoticeState.WITHDRAWN: Q(status=NoticeStatus.WITHDRAWN),
        NoticeState.CURRENT: published & live & ~corrected,
        NoticeState.EXPIRED: published & ~live & ~corrected,
        NoticeState.SUPERSEDED: published & corrected,
    }[state]


def _with_read(actor: Actor, qs: QuerySet) -> QuerySet:
    """``read_by_me``: whether one of the actor's houses has read the notice (for residents; False for others)."""
    mine = NoticeHouse.objects.filter(notice=OuterRef("pk"), house_id__in=my_house_ids(actor),
                                      read_at__isnull=False)
    return qs.annotate(read_by_me=Exists(mine))


def notice_list(*, actor: Actor, state: str | None = None, kind: str | None = None,
                building_id: int | None = None, q: str | None = None) -> QuerySet:
    """What the actor may see (the console sees everything, residents their feed), filtered."""
    qs = Notice.objects.restrict(actor).select_related(*RELATED).prefetch_related(*PREFETCH)
    if state:
        qs = qs.filter(_state_filter(state, timezone.now()))
    if kind:
        qs = qs.filter(kind=kind)
    if building_id:
        qs = qs.filter(Q(target=NoticeTarget.ESTATE) | Q(buildings__pk=building_id) | Q(units__building_id=building_id)).distinct()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return _with_read(actor, qs)


def notice_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None, **filters) -> Page:
    """Newest first."""
    return paginate(notice_list(actor=actor, **filters), cursor=cursor, limit=limit, descending=True)


def notice_feed(*, actor: Actor) -> QuerySet:
    """The resident's portal feed: the current notices reaching their houses or the whole estate (whatever other
    roles the actor holds: the portal is the household's view)."""
    qs = (resident_feed(actor, Notice.objects.for_estate(actor.estate)).select_related("supersedes", "superseded_by")
          .prefetch_related(*PREFETCH))
    return _with_read(actor, qs)


def notice_feed_pinned(*, actor: Actor) -> list[Notice]:
    """Current emergencies, pinned above everything until they expire: newest first."""
    return list(notice_feed(actor=actor).filter(kind=NoticeKind.EMERGENCY).order_by("-published_at", "-pk"))


def notice_feed_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """The feed without the pinned emergencies, newest first."""
    return paginate(notice_feed(actor=actor).exclude(kind=NoticeKind.EMERGENCY), cursor=cursor, limit=limit,
                    descending=True)


def notice_get(*, actor: Actor, notice_id: int) -> Notice:
    """One checked fetch: missing, another estate's, or not for this actor (another building's notice for a
    resident, a draft for a resident) are all 404."""
    notice = (_with_read(actor, Notice.objects.restrict(actor)).select_related(*RELATED)
              .prefetch_related(*PREFETCH).filter(pk=notice_id).first())
    if notice is None:
        raise NotFound()
    return notice


def notice_feed_get(*, actor: Actor, notice_id: int) -> Notice:
    """A notice as the portal shows it: only from the actor's feed."""
    notice = notice_feed(actor=actor).select_related("superseded_by").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    return notice


def unread_feed_count(*, actor: Actor) -> int:
    return notice_feed(actor=actor).filter(read_by_me=False).count()


# --- receipts ----------------------------------------------------------------------------------------------------
def receipts_by_building(*, actor: Actor, notice: Notice) -> list[dict]:
    """Per building of the frozen audience: houses, read, unread, percent read; in the estate's building order."""
    rows = (NoticeHouse.objects.restrict(actor).filter(notice=notice)
            .values("building_id", "building__name", "building__sort_key")
            .annotate(total=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False)))
            .order_by("building__sort_key", "building__name"))
    return [{"building_id": r["building_id"], "building": r["building__name"], "total": r["total"],
             "read": r["read"], "unread": r["total"] - r["read"],
             "percent": round(100 * r["read"] / r["total"]) if r["total"] else 0} for r in rows]


def unread_houses(*, actor: Actor, notice: Notice, building_id: int | None = None) -> QuerySet:
    qs = (NoticeHouse.objects.restrict(actor).filter(notice=notice, read_at__isnull=True)
          .select_related("house__building", "house__unit"))
    if building_id:
        qs = qs.filter(building_id=building_id)
    return qs


def unread_houses_page(*, actor: Actor, notice: Notice, cursor: str | None = None, limit: int | None = None,
                       building_id: int | None = None) -> Page:
    return paginate(unread_houses(actor=actor, notice=notice, building_id=building_id), cursor=cursor, limit=limit)


def receipts_summary(*, actor: Actor, notice: Notice) -> dict:
    from .services import remind_window

    buildings = receipts_by_building(actor=actor, notice=notice)
    total = sum(b["total"] for b in buildings)
    read = sum(b["read"] for b in buildings)
    last = notice.last_reminded_at
    return {"notice_id": notice.pk, "total": total, "read": read, "unread": total - read, "buildings": buildings,
            "percent": round(100 * read / total) if total else 0,
            "last_reminded_at": last, "next_remind_at": last + remind_window() if last else None}
