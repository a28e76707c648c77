"""Temporary owners' assembly requests: start, sign, withdraw a signature, progress, scheduling, reminders.

DOMAIN.md "Owners' votes": owners holding at least 20 % of the voting area AND 20 % of the headcount may request a
temporary assembly (业主大会和业主委员会指导规则 art. 23); the notice goes out at least 15 days before it
(``assembly.notice_days``). A house signs through its representative (the owner flagged so, else its earliest
owner, as on the roll); headcount units are the roll's (an owner of several houses counts once)."""

import datetime
from fractions import Fraction

from django.apps import apps
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import COMMITTEE_ROLES
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.estate.models import House, Residency
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .council_policies import AssemblyPolicy
from .models import AssemblyRequest, AssemblySignature
from .models.assembly import AssemblyStatus

REACHED_TITLE = _("Temporary assembly request reached: %(title)s")
REACHED_BODY = _("Owners holding %(area)s m² of %(area_total)s m² and %(heads)s of %(heads_total)s heads have "
                 "signed. The owners' committee must schedule the assembly (notice at least %(days)s days).")
OVERDUE_TITLE = _("Temporary assembly not yet scheduled: %(title)s")
OVERDUE_BODY = _("The request reached both floors on %(date)s and is still not scheduled (due within %(days)s days).")


def _url(request: AssemblyRequest) -> str:
    return f"/e/{request.estate_id}/governance/assembly/{request.pk}/"


def _field(field: str, message, **params) -> DomainError:
    return DomainError(message, code="invalid_field", detail={"field": field}, **params)


# --- reads -----------------------------------------------------------------------------------------------------

def assembly_request_list(*, actor: Actor, status: str = "") -> QuerySet:
    qs = AssemblyRequest.objects.restrict(actor, "view").annotate(
        signed_houses=Count("signatures", filter=Q(signatures__withdrawn_at__isnull=True)))
    return qs.filter(status=status) if status else qs


def assembly_request_get_for_actor(*, actor: Actor, request_id: int) -> AssemblyRequest:
    request = AssemblyRequest.objects.restrict(actor, "view").filter(pk=request_id).select_related("vote").first()
    if request is None:
        raise NotFound()
    return request


def signatures_of(request: AssemblyRequest) -> list[dict]:
    """The signing houses (public to members: house code and time, never the signer's name)."""
    rows = (AssemblySignature.objects.filter(request=request, withdrawn_at__isnull=True)
            .order_by("house__building__sort_key", "house__building__name", "house__unit__sort_key", "house__number")
            .values("house_id", "house__building__name", "house__unit__name", "house__number", "signed_at", "user_id"))
    return [{"house_id": r["house_id"], "house": f"{r['house__building__name']}-{r['house__unit__name']}-"
             f"{r['house__number']}", "signed_at": r["signed_at"], "user_id": r["user_id"]} for r in rows]


def represented_houses(*, actor: Actor, on: datetime.date | None = None) -> list[House]:
    """The houses ``actor`` represents today: owner of it, flagged representative, or its earliest owner when no
    owner is flagged (the roll's rule, DOMAIN.md: co-owners count once and name one representative)."""
    day = on or timezone.localdate()
    mine = set(Residency.objects.current(day).filter(estate=actor.estate, kind="owner", person__user=actor.user)
               .values_list("house_id", flat=True))
    if not mine:
        return []
    owners = (Residency.objects.current(day).filter(estate=actor.estate, kind="owner", house_id__in=mine)
              .order_by("house_id", "-is_representative", "start_date", "pk")
              .values_list("house_id", "person__user_id"))
    first: dict[int, int | None] = {}
    for house_id, user_id in owners:
        first.setdefault(house_id, user_id)
    ids = [h for h, u in first.items() if u == actor.user_id]
    return list(House.objects.filter(pk__in=ids).select_related("building", "unit").order_by("pk"))


def assembly_progress(request: AssemblyRequest, *, on: datetime.date | None = None) -> dict:
    """Signed area and headcount against both 20 % floors, exactly (areas in hundredths of m², Fractions)."""
    from . import roll, rules

    day = on or timezone.localdate()
    house_ids = list(AssemblySignature.objects.filter(request=request, withdrawn_at__isnull=True)
                     .values_list("house_id", flat=True))
    areas = House.objects.filter(pk__in=house_ids).values_list("area_m2", flat=True)
    area_signed = sum(int(a * 100) for a in areas)
    heads_signed = len(set(roll.head_units_of(estate=request.estate, on=day, house_ids=house_ids).values()))
    area_total, heads_total = roll.estate_totals(estate=request.estate, on=day)
    settings = request.estate.rules()
    area_floor, heads_floor = Fraction(settings["assembly.request_area"]), Fraction(settings["assembly.request_heads"])
    reached = rules.assembly_request_reached(area_signed_cents=area_signed, area_total_cents=area_total,
                                             heads_signed=heads_signed, heads_total=heads_total,
                                             estate=request.estate)

    def needed(floor: Fraction, total: int) -> int:  # the least integer n with n / total >= floor
        return -(-floor.numerator * total // floor.denominator)

    area_needed, heads_needed = needed(area_floor, area_total), needed(heads_floor, heads_total)
    return {
        "houses": len(house_ids),
        "area_signed": _m2(area_signed), "area_total": _m2(area_total), "area_needed": _m2(area_needed),
        "area_floor": str(area_floor), "area_met": area_signed >= area_needed,
        "heads_signed": heads_signed, "heads_total": heads_total, "heads_needed": heads_needed,
        "heads_floor": str(heads_floor), "heads_met": heads_signed >= heads_needed,
        "reached": reached,
    }


def _m2(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def my_signatures(*, actor: Actor, request: AssemblyRequest) -> list[int]:
    return list(AssemblySignature.objects.filter(request=request, withdrawn_at__isnull=True, user=actor.user)
                .values_list("house_id", flat=True))


# --- writes ----------------------------------------------------------------------------------------------------

@transaction.atomic
def assembly_request_start(*, actor: Actor, title: str, matters: str, idempotency_key: str = "") -> AssemblyRequest:
    if not AssemblyPolicy.can(actor, "start"):
        raise Forbidden(_("Only owners may request a temporary assembly."), code="not_an_owner")
    if idempotency_key:
        existing = AssemblyRequest.objects.filter(estate=actor.estate, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    title, matters = (title or "").strip(), (matters or "").strip()
    if not title:
        raise _field("title", _("title: give the request a title."))
    if not matters:
        raise _field("matters", _("matters: say what the assembly is to decide."))
    request = AssemblyRequest.objects.create(estate=actor.estate, title=title[:120], matters=matters,
                                             started_by=actor.user, idempotency_key=idempotency_key)
    audit(user=actor.user, estate=actor.estate, action="assembly_request.start", obj=request,
          after=snapshot(request, ["title", "matters", "status"]))
    return request


def _locked(actor: Actor, request_id: int) -> AssemblyRequest:
    request = AssemblyRequest.objects.select_for_update().filter(estate=actor.estate, pk=request_id).first()
    if request is None:
        raise NotFound()
    return request


def _collecting(request: AssemblyRequest) -> None:
    if request.status != AssemblyStatus.COLLECTING:
        raise Conflict(_("This request is no longer collecting signatures."), code="request_not_collecting",
                       detail={"status": request.status})


@transaction.atomic
def assembly_sign(*, actor: Actor, request_id: int, house_id: int) -> AssemblySignature:
    """The representative signs for one house. A house signs once (409 ``already_signed``)."""
    request = _locked(actor, request_id)  # another estate's request: 404 before any refusal
    if not AssemblyPolicy.can(actor, "sign"):
        raise Forbidden(_("Only owners may sign a temporary assembly request; family members and tenants cannot."),
                        code="not_an_owner")
    _collecting(request)
    house = next((h for h in represented_houses(actor=actor) if h.pk == house_id), None)
    if house is None:
        if not House.objects.filter(estate=actor.estate, pk=house_id).exists():
            raise NotFound()
        raise Forbidden(_("You are not the representative of house %(house)s; its representative signs for it."),
                        code="not_representative", detail={"house_id": house_id}, house=house_id)
    existing = AssemblySignature.objects.filter(request=request, house=house, withdrawn_at__isnull=True).first()
    if existing is not None:
        raise Conflict(_("House %(house)s has already signed this request (on %(date)s)."), code="already_signed",
                       detail={"house_id": house.pk}, house=house.code,
                       date=timezone.localtime(existing.signed_at).date().isoformat())
    person = (Residency.objects.current().filter(house=house, kind="owner", person__user=actor.user)
              .select_related("person").first().person)
    signature = AssemblySignature.objects.create(estate=actor.estate, request=request, house=house, person=person,
                                                 user=actor.user)
    audit(user=actor.user, estate=actor.estate, action="assembly_request.sign", obj=request, label=house.code,
          after={"house_id": house.pk, "signature_id": signature.pk})
    _check_reached(actor, request)
    return signature


def _check_reached(actor: Actor, request: AssemblyRequest) -> None:
    progress = assembly_progress(request)
    if not progress["reached"]:
        return
    request.status, request.reached_at = AssemblyStatus.REACHED, timezone.now()
    request.reached_figures = progress
    request.save(update_fields=["status", "reached_at", "reached_figures"])
    audit(user=actor.user, estate=actor.estate, action="assembly_request.reached", obj=request, after=progress)
    _notify_committee(request, REACHED_TITLE, REACHED_BODY, {
        "title": request.title, "area": progress["area_signed"], "area_total": progress["area_total"],
        "heads": progress["heads_signed"], "heads_total": progress["heads_total"],
        "days": request.estate.rules()["assembly.notice_days"]})


def _committee_users(estate) -> list:
    Membership = apps.get_model("accounts", "Membership")
    return [m.user for m in Membership.objects.filter(estate=estate, role__in=COMMITTEE_ROLES, ended_at__isnull=True)
            .select_related("user")]


def _notify_committee(request: AssemblyRequest, title, body, params: dict) -> None:
    estate, url = request.estate, _url(request)
    transaction.on_commit(lambda: notify(estate=estate, users=_committee_users(estate), kind=NotificationKind.ASSEMBLY,
                                         title=title, body=body, url=url, params=params))


@transaction.atomic
def assembly_unsign(*, actor: Actor, request_id: int, house_id: int) -> AssemblySignature:
    """Withdraw a house's signature while the request is collecting (the row stays, marked withdrawn)."""
    request = _locked(actor, request_id)
    signature = AssemblySignature.objects.filter(request=request, house_id=house_id,
                                                 withdrawn_at__isnull=True).first()
    if signature is None:
        raise NotFound(_("House %(house)s has no signature on this request."), code="not_signed", house=house_id)
    if signature.user_id != actor.user_id and house_id not in {h.pk for h in represented_houses(actor=actor)}:
        raise Forbidden(_("Only the house's representative may withdraw its signature."), code="not_representative")
    _collecting(request)
    signature.withdrawn_at = timezone.now()
    signature.save(update_fields=["withdrawn_at"])
    audit(user=actor.user, estate=actor.estate, action="assembly_request.unsign", obj=request,
          after={"house_id": house_id, "signature_id": signature.pk})
    return signature


@transaction.atomic
def assembly_schedule(*, actor: Actor, request_id: int, opens_at: datetime.datetime, closes_at: datetime.datetime,
                      title: str = ""):
    """The committee records the scheduled assembly: a TEMPORARY vote (a draft it completes with items and opens),
    linked to the request. The notice goes out at least ``assembly.notice_days`` (15) days before: ``opens_at``
    earlier than that after today is refused with the figures. Scheduling twice returns the same vote."""
    from . import votes
    from .choices import VoteKind

    request = _locked(actor, request_id)  # another estate's request: 404 before any refusal
    if not AssemblyPolicy.can(actor, "schedule"):
        raise Forbidden(_("Only the owners' committee schedules a temporary assembly."), code="not_committee")
    if request.status == AssemblyStatus.SCHEDULED:
        return request.vote
    if request.status != AssemblyStatus.REACHED:
        raise Conflict(_("The request has not reached 20 %% of the area and of the headcount yet."),
                       code="request_not_reached")
    notice_days = int(request.estate.rules()["assembly.notice_days"])
    today = timezone.localdate()
    earliest = today + datetime.timedelta(days=notice_days)
    if opens_at is None or timezone.localdate(opens_at) < earliest:
        days = (timezone.localdate(opens_at) - today).days if opens_at else 0
        raise Conflict(_("opens_at: the assembly must be announced at least %(days)s days ahead: it can open on "
                         "%(earliest)s at the earliest (%(given)s days from today given)."),
                       code="notice_too_short", detail={"field": "opens_at", "notice_days": notice_days,
                                                        "earliest": earliest.isoformat(), "given_days": days},
                       days=notice_days, earliest=earliest.isoformat(), given=days)
    if closes_at is None or closes_at <= opens_at:
        raise _field("closes_at", _("closes_at: the assembly must close after it opens."))
    vote = votes.vote_create(actor=actor, title=(title or request.title)[:120], description=request.matters,
                             kind=VoteKind.TEMPORARY, opens_at=opens_at, closes_at=closes_at,
                             idempotency_key=f"assembly-request-{request.pk}")
    before = snapshot(request, ["status"])
    request.vote, request.status, request.scheduled_at = vote, AssemblyStatus.SCHEDULED, timezone.now()
    request.save(update_fields=["vote", "status", "scheduled_at"])
    audit(user=actor.user, estate=actor.estate, action="assembly_request.schedule", obj=request, before=before,
          after={"status": request.status, "vote_id": vote.pk, "opens_at": opens_at.isoformat()})
    return vote


def assembly_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind the committee, at most daily, of reached requests not scheduled within ``assembly.schedule_within_
    days`` (default 30). For the periodic task; idempotent within a day. Returns the requests reminded."""
    now = now or timezone.now()
    sent = 0
    for request in AssemblyRequest.objects.filter(status=AssemblyStatus.REACHED).select_related("estate"):
        days = int(request.estate.rules().get("assembly.schedule_within_days", 30))
        due = request.reached_at + datetime.timedelta(days=days)
        if now < due or (request.last_reminder_at and now - request.last_reminder_at < datetime.timedelta(days=1)):
            continue
        with transaction.atomic():
            request.last_reminder_at = now
            request.save(update_fields=["last_reminder_at"])
            _notify_committee(request, OVERDUE_TITLE, OVERDUE_BODY, {
                "title": request.title, "days": days,
                "date": timezone.localtime(request.reached_at).date().isoformat()})
        sent += 1
    return sent
