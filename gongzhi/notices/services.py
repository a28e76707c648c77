"""Writes to notices: drafts, publishing (now or on schedule), corrections, withdrawal, read receipts, reminders.

Every write checks NoticePolicy, locks the notice row where its state matters, and is audited. A published notice
is never edited (409 ``notice_published``): a correction supersedes it. Marking read is not audited: the receipt
row itself records who and when, and it is written once.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.estate.models import Building, House, Residency, Unit
from gongzhi.estate.policies import my_house_ids
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .choices import UNPUBLISHED, NoticeCategory, NoticeKind, NoticeStatus, NoticeTarget
from .models import Notice, NoticeAttachment, NoticeHouse
from .policies import NoticePolicy

TITLE_MAX = 120
BODY_MAX = 20_000
REASON_MAX = 300
EXCERPT = 140
BATCH = 1000
DEFAULT_REMIND_HOURS = 12

NOTICE_FIELDS = ["title", "body", "kind", "category", "important", "target", "status", "publish_at",
                 "published_at", "expires_at", "supersedes_id", "withdrawn_at", "withdraw_reason",
                 "audience_houses"]


def remind_window() -> datetime.timedelta:
    """How long after a reminder the next one may go out (settings.NOTICE_REMIND_HOURS, default 12 hours)."""
    return datetime.timedelta(hours=getattr(settings, "NOTICE_REMIND_HOURS", DEFAULT_REMIND_HOURS))


def _field_error(field: str, reason) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field}, field=field,
                       reason=reason)


def _snapshot(notice: Notice) -> dict:
    data = snapshot(notice, NOTICE_FIELDS)
    if notice.pk:
        data["building_ids"] = sorted(notice.buildings.values_list("pk", flat=True))
        data["unit_ids"] = sorted(notice.units.values_list("pk", flat=True))
    return data


def _locked(actor: Actor, notice_id: int) -> Notice:
    """The notice, row-locked, if the actor may see it; 404 otherwise."""
    if not Notice.objects.restrict(actor).filter(pk=notice_id).exists():
        raise NotFound()
    return Notice.objects.select_for_update().get(estate=actor.estate, pk=notice_id)


def _published_error(notice: Notice) -> Conflict:
    return Conflict(_("This notice has been published and can no longer be changed; publish a correction "
                      "instead."), code="notice_published", detail={"status": notice.status})


# --- content -----------------------------------------------------------------------------------------------------
@dataclass
class Content:
    title: str
    body: str
    kind: str
    category: str
    important: bool
    target: str
    buildings: list
    units: list
    expires_at: datetime.datetime | None


def _content(actor: Actor, *, title: str, body: str, kind: str = NoticeKind.ROUTINE, category: str = "",
             important: bool = False, target: str = NoticeTarget.ESTATE, building_ids: Iterable[int] = (),
             unit_ids: Iterable[int] = (), expires_at: datetime.datetime | None = None) -> Content:
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n").strip()
    if not title:
        raise _field_error("title", _("is required"))
    if len(title) > TITLE_MAX:
        raise _field_error("title", _("is too long"))
    if not body:
        raise _field_error("body", _("is required"))
    if len(body) > BODY_MAX:
        raise _field_error("body", _("is too long"))
    if kind not in NoticeKind.values:
        raise _field_error("kind", _("is not one of the allowed values"))
    category = category or ""
    if category and category not in NoticeCategory.values:
        raise _field_error("category", _("is not one of the allowed values"))
    if kind == NoticeKind.EMERGENCY and not category:
        raise _field_error("category", _("is required for an emergency notice"))
    if target not in NoticeTarget.values:
        raise _field_error("target", _("is not one of the allowed values"))
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    buildings, units = [], []
    if target == NoticeTarget.BUILDINGS:
        wanted = set(building_ids or ())
        buildings = list(Building.objects.for_estate(actor.estate).filter(pk__in=wanted))
        if not wanted or len(buildings) != len(wanted):
            raise _field_error("building_ids", _("choose one or more buildings of this estate"))
    elif target == NoticeTarget.UNITS:
        wanted = set(unit_ids or ())
        units = list(Unit.objects.for_estate(actor.estate).filter(pk__in=wanted))
        if not wanted or len(units) != len(wanted):
            raise _field_error("unit_ids", _("choose one or more units of this estate"))
    return Content(title=title, body=body, kind=kind, category=category, important=bool(important), target=target,
                   buildings=buildings, units=units, expires_at=expires_at)


def _apply(notice: Notice, content: Content) -> None:
    for name in ("title", "body", "kind", "category", "important", "target", "expires_at"):
        setattr(notice, name, getattr(content, name))


def _save_targets(notice: Notice, content: Content) -> None:
    notice.buildings.set(content.buildings)
    notice.units.set(content.units)


# --- drafts ------------------------------------------------------------------------------------------------------
@transaction.atomic
def notice_create(*, actor: Actor, title: str, body: str, kind: str = NoticeKind.ROUTINE, category: str = "",
                  important: bool = False, target: str = NoticeTarget.ESTATE, building_ids: Iterable[int] = (),
                  unit_ids: Iterable[int] = (), expires_at: datetime.datetime | None = None) -> Notice:
    """Write a draft. Emergencies need a category (water cut, power cut, elevator stop, other); a target of
    buildings or units needs at least one of this estate's."""
    if not NoticePolicy.can(actor, "create"):
        raise Forbidden()
    content = _content(actor, title=title, body=body, kind=kind, category=category, important=important,
                       target=target, building_ids=building_ids, unit_ids=unit_ids, expires_at=expires_at)
    notice = Notice(estate=actor.estate, created_by=actor.user, created_at=timezone.now())
    _apply(notice, content)
    notice.save()
    _save_targets(notice, content)
    audit(user=actor.user, estate=actor.estate, action="notice.create", obj=notice, after=_snapshot(notice))
    return notice


@transaction.atomic
def notice_update(*, actor: Actor, notice_id: int, title: str, body: str, kind: str = NoticeKind.ROUTINE,
                  category: str = "", important: bool = False, target: str = NoticeTarget.ESTATE,
                  building_ids: Iterable[int] = (), unit_ids: Iterable[int] = (),
                  expires_at: datetime.datetime | None = None) -> Notice:
    """Change a draft (or a scheduled notice, which stays scheduled). A published or withdrawn notice answers 409
    ``notice_published``."""
    notice = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, "change", notice):
        raise Forbidden()
    if notice.status not in UNPUBLISHED:
        raise _published_error(notice)
    content = _content(actor, title=title, body=body, kind=kind, category=category, important=important,
                       target=target, building_ids=building_ids, unit_ids=unit_ids, expires_at=expires_at)
    if notice.status == NoticeStatus.SCHEDULED:
        _check_times(notice.publish_at, content.expires_at)
    before = _snapshot(notice)
    _apply(notice, content)
    notice.save()
    _save_targets(notice, content)
    audit(user=actor.user, estate=actor.estate, action="notice.update", obj=notice, before=before,
          after=_snapshot(notice))
    return notice


def notice_delete(*, actor: Actor, notice_id: int) -> None:
    """Delete a draft or a scheduled notice with its attachments (files removed after commit). Published ones stay:
    409 ``notice_published``."""
    with transaction.atomic():
        notice = _locked(actor, notice_id)
        if not NoticePolicy.can(actor, "delete", notice):
            raise Forbidden()
        if notice.status not in UNPUBLISHED:
            raise _published_error(notice)
        files = list(NoticeAttachment.objects.filter(notice=notice).values_list("file", flat=True))
        audit(user=actor.user, estate=actor.estate, action="notice.delete", obj=notice, before=_snapshot(notice))
        notice.delete()
        transaction.on_commit(lambda: _remove_files(files))


def _remove_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


# --- publishing --------------------------------------------------------------------------------------------------
def _check_times(publish_at: datetime.datetime, expires_at: datetime.datetime | None) -> None:
    if expires_at is not None and expires_at <= publish_at:
        raise _field_error("expires_at", _("must be after the time of publication"))


@transaction.atomic
def notice_publish(*, actor: Actor, notice_id: int, publish_at: datetime.datetime | None = None) -> Notice:
    """Publish a draft now, or schedule it for ``publish_at`` (a time in the future; the periodic job publishes it
    then). A scheduled notice may be published now or rescheduled. Publishing an already published notice answers
    409 ``notice_published``."""
    notice = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, "publish", notice):
        raise Forbidden()
    if notice.status not in UNPUBLISHED:
        raise _published_error(notice)
    now = timezone.now()
    if publish_at is not None and timezone.is_naive(publish_at):
        publish_at = timezone.make_aware(publish_at)
    if publish_at is not None and publish_at > now:
        _check_times(publish_at, notice.expires_at)
        before = _snapshot(notice)
        notice.status, notice.publish_at, notice.published_by = NoticeStatus.SCHEDULED, publish_at, actor.user
        notice.save(update_fields=["status", "publish_at", "published_by", "updated_at"])
        audit(user=actor.user, estate=actor.estate, action="notice.schedule", obj=notice, before=before,
              after=_snapshot(notice))
        return notice
    _publish(notice, user=actor.user, now=now)
    return notice


@transaction.atomic
def notice_publish_on_behalf(*, actor: Actor, title: str, body: str, important: bool = False,
                             building_ids: Iterable[int] = ()) -> Notice:
    """Publish at once a notice that another app's service owes its readers: an owners' vote's convocation,
    extension and result, the owners' committee's evaluation of the company. The calling service has already
    checked that ``actor`` may do what the notice announces (VotePolicy, EvaluationPolicy): the committee convenes
    the owners' assembly and owes its notice even though its members do not write the company's notices. The notice
    and the audit name the actor; it goes to the whole estate, or to the given buildings (a charge scope)."""
    target = NoticeTarget.BUILDINGS if building_ids else NoticeTarget.ESTATE
    content = _content(actor, title=title[:TITLE_MAX], body=body[:BODY_MAX], important=important, target=target,
                       building_ids=building_ids)
    notice = Notice(estate=actor.estate, created_by=actor.user, created_at=timezone.now())
    _apply(notice, content)
    notice.save()
    _save_targets(notice, content)
    audit(user=actor.user, estate=actor.estate, action="notice.create", obj=notice,
          after={**_snapshot(notice), "on_behalf": True})
    _publish(notice, user=actor.user, now=timezone.now())
    return notice


def notice_publish_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish every scheduled notice whose ``publish_at`` has come (at or before ``now``), each in its own
    transaction under its row lock: a second run, or a second worker, finds nothing left to do. Returns the ids
    published now. Called by the periodic task, as the system: the audit names the user who scheduled it."""
    now = now or timezone.now()
    due = list(Notice.objects.filter(status=NoticeStatus.SCHEDULED, publish_at__lte=now)
               .order_by("publish_at", "pk").values_list("pk", flat=True))
    published = []
    for notice_id in due:
        with transaction.atomic():
            notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
            if notice is None or notice.status != NoticeStatus.SCHEDULED or notice.publish_at > now:
                continue
            _publish(notice, user=notice.published_by, now=now, system=True)
            published.append(notice_id)
    return published


def _audience(notice: Notice) -> QuerySet:
    """The houses in the notice's target that have a household now (a current residency): the houses someone can
    read it in. Houses nobody lives in or owns yet (unsold, empty) have nobody to tell."""
    houses = House.objects.for_estate(notice.estate_id)
    if notice.target == NoticeTarget.BUILDINGS:
        houses = houses.filter(building_id__in=notice.buildings.values("pk"))
    elif notice.target == NoticeTarget.UNITS:
        houses = houses.filter(unit_id__in=notice.units.values("pk"))
    lived_in = Residency.objects.current().filter(estate_id=notice.estate_id).values("house_id")
    return houses.filter(pk__in=lived_in)


def _freeze_audience(notice: Notice) -> int:
    rows = [NoticeHouse(estate_id=notice.estate_id, notice=notice, house_id=house_id, building_id=building_id)
            for house_id, building_id in _audience(notice).order_by("pk").values_list("pk", "building_id")]
    NoticeHouse.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def _publish(notice: Notice, *, user, now: datetime.datetime, system: bool = False) -> None:
    before = _snapshot(notice)
    if not system and notice.expires_at is not None and notice.expires_at <= now:
        raise _field_error("expires_at", _("must be after the time of publication"))
    notice.status, notice.published_at = NoticeStatus.PUBLISHED, now
    if notice.publish_at is None or notice.publish_at > now:
        notice.publish_at = now
    notice.published_by = user
    notice.audience_houses = _freeze_audience(notice)
    notice.save(update_fields=["status", "published_at", "publish_at", "published_by", "audience_houses",
                               "updated_at"])
    audit(user=None if system else user, estate=notice.estate, action="notice.publish", obj=notice, before=before,
          after={**_snapshot(notice), **({"scheduled_by": user.pk if user else None} if system else {})})
    if notice.is_emergency or notice.important:
        _push(notice, NoticeHouse.objects.filter(notice=notice))


# --- notifications -----------------------------------------------------------------------------------------------
def _recipients(notice: Notice, houses: QuerySet):
    """The active users with a current residency in ``houses`` who are members of the estate, in batches of
    BATCH, by id (keyset), so that an estate of thousands of households never holds them all at once."""
    User = get_user_model()
    living = (Residency.objects.current().filter(estate_id=notice.estate_id, house_id__in=houses.values("house_id"),
                                                 person__user__isnull=False).values("person__user_id"))
    members = Membership.objects.filter(estate_id=notice.estate_id, ended_at__isnull=True).values("user_id")
    qs = User.objects.filter(is_active=True, pk__in=living).filter(pk__in=members).order_by("pk")
    after = 0
    while True:
        batch = list(qs.filter(pk__gt=after)[:BATCH])
        if not batch:
            return
        yield batch
        after = batch[-1].pk


_TITLES = {
    (True, False): _("Emergency notice: %(title)s"),
    (True, True): _("Correction to an emergency notice: %(title)s"),
    (False, False): _("Important notice: %(title)s"),
    (False, True): _("Correction to a notice: %(title)s"),
}
_REMINDER_TITLE = _("Reminder: please read “%(title)s”")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _push(notice: Notice, houses: QuerySet, *, reminder: bool = False) -> int:
    """Notify the households of ``houses``: emergencies as NOTICE_EMERGENCY (in-app, and email/SMS as each
    resident's preferences allow), other notices as NOTICE. Returns how many people."""
    kind = NotificationKind.NOTICE_EMERGENCY if notice.is_emergency else NotificationKind.NOTICE
    title = _REMINDER_TITLE if reminder else _TITLES[(notice.is_emergency, notice.supersedes_id is not None)]
    params = {"title": notice.title, "excerpt": _excerpt(notice.body)}
    url = reverse("notices:detail", args=[notice.estate_id, notice.pk])
    sent = 0
    for users in _recipients(notice, houses):
        sent += len(notify(estate=notice.estate, users=users, kind=kind, title=title, body=_("%(excerpt)s"),
                           url=url, params=params))
    return sent


# --- corrections and withdrawal ----------------------------------------------------------------------------------
@transaction.atomic
def notice_supersede(*, actor: Actor, notice_id: int, **changes) -> Notice:
    """Start a correction of a published notice: a new draft that points at it (``supersedes``), holding the
    original's content, audience and attachments with ``changes`` applied. Edit it, then publish it; from then on
    residents see only the correction and the original shows "superseded by". One correction per notice: a second
    answers 409 ``notice_superseded`` (correct the correction instead)."""
    original = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, "supersede", original):
        raise Forbidden()
    if original.status != NoticeStatus.PUBLISHED:
        raise Conflict(_("Only a published notice can be corrected."), code="notice_not_published",
                       detail={"status": original.status})
    existing = Notice.objects.filter(supersedes=original).first()
    if existing is not None:
        raise Conflict(_("This notice already has a correction."), code="notice_superseded",
                       detail={"correction_id": existing.pk})
    fields = {"title": original.title, "body": original.body, "kind": original.kind, "category": original.category,
              "important": original.important, "target": original.target,
              "building_ids": list(original.buildings.values_list("pk", flat=True)),
              "unit_ids": list(original.units.values_list("pk", flat=True)), "expires_at": original.expires_at}
    fields.update({k: v for k, v in changes.items() if v is not None})
    content = _content(actor, **fields)
    correction = Notice(estate=actor.estate, created_by=actor.user, created_at=timezone.now(), supersedes=original)
    _apply(correction, content)
    correction.save()
    _save_targets(correction, content)
    from .attachments import copy_attachments

    copy_attachments(source=original, target=correction, user=actor.user)
    audit(user=actor.user, estate=actor.estate, action="notice.supersede", obj=correction,
          after={**_snapshot(correction), "supersedes": original.pk})
    return correction


@transaction.atomic
def notice_withdraw(*, actor: Actor, notice_id: int, reason: str) -> Notice:
    """Withdraw a published notice, with a reason: residents no longer see it; it stays in the archive with who,
    when and why."""
    notice = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, "withdraw", notice):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("is required"))
    if len(reason) > REASON_MAX:
        raise _field_error("reason", _("is too long"))
    if notice.status != NoticeStatus.PUBLISHED:
        raise Conflict(_("Only a published notice can be withdrawn."), code="notice_not_published",
                       detail={"status": notice.status})
    before = _snapshot(notice)
    notice.status, notice.withdrawn_at, notice.withdrawn_by = NoticeStatus.WITHDRAWN, timezone.now(), actor.user
    notice.withdraw_reason = reason
    notice.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdraw_reason", "updated_at"])
    audit(user=actor.user, estate=actor.estate, action="notice.withdraw", obj=notice, before=before,
          after=_snapshot(notice))
    return notice


# --- read receipts and reminders ---------------------------------------------------------------------------------
def notice_mark_read(*, actor: Actor, notice: Notice) -> int:
    """The actor opened ``notice`` (already checked visible): each of their houses in its audience that has not
    read it yet is marked read by them, now. One conditional UPDATE: a repeat, or a second member of the household
    at the same moment, changes nothing (the first reader stays on record). Returns the houses marked now."""
    if notice.status != NoticeStatus.PUBLISHED:
        return 0
    return (NoticeHouse.objects.filter(notice=notice, house_id__in=my_house_ids(actor), read_at__isnull=True)
            .update(read_at=timezone.now(), read_by=actor.user))


@transaction.atomic
def notice_remind(*, actor: Actor, notice_id: int) -> int:
    """Remind the households that have not read an important or emergency notice, at most once per
    ``remind_window()``: within it, 409 ``remind_too_soon`` with the next allowed time. The row lock makes two
    simultaneous clicks send one reminder. Returns how many people were reminded."""
    notice = _locked(actor, notice_id)
    if not NoticePolicy.can(actor, "remind", notice):
        raise Forbidden()
    now = timezone.now()
    if notice.state(now) != "current":
        raise Conflict(_("Only a current published notice can be reminded of."), code="notice_not_current",
                       detail={"state": notice.state(now)})
    if not (notice.important or notice.is_emergency):
        raise Conflict(_("Reminders are for important and emergency notices."), code="notice_not_important")
    if notice.last_reminded_at is not None:
        next_at = notice.last_reminded_at + remind_window()
        if now < next_at:
            raise Conflict(_("A reminder was sent recently; the next one can go out at %(time)s."),
                           code="remind_too_soon", detail={"next_allowed_at": next_at.isoformat()},
                           time=timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M"))
    unread = NoticeHouse.objects.filter(notice=notice, read_at__isnull=True)
    sent = _push(notice, unread, reminder=True)
    notice.last_reminded_at = now
    notice.save(update_fields=["last_reminded_at", "updated_at"])
    audit(user=actor.user, estate=actor.estate, action="notice.remind", obj=notice,
          after={"reminded_at": now.isoformat(), "unread_houses": unread.count(), "people": sent})
    return sent
