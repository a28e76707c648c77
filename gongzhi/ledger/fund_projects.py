"""Maintenance-fund projects: proposal, the owners' decision (or an emergency), execution, payments split over the
charge scope (列支范围) by area, completion or cancellation.

- The charge scope is frozen when the project is proposed: each house with its building area then
  (``FundProjectHouse.area_m2``). A later change of a house's area changes nothing already decided or paid.
- Using the fund is matter (5) of Civil Code art. 278: owners holding at least 2/3 of the scope's area AND 2/3 of
  its headcount take part, and more than 1/2 of the participating area AND headcount approve ("以上" includes the
  figure itself, "过半数" does not: art. 1259). Where the estate's jurisdiction still requires it
  (``fund.use_needs_two_thirds_of_scope``), at least 2/3 of the scope's whole area and headcount must vote for.
  The electorate is the charge scope only (DOMAIN.md). Until the governance module holds votes, the committee
  records the tally with the decision document; the tally is checked here, never trusted.
- An emergency (``EmergencyKind``: danger to the building) skips the vote: the manager's decision is recorded as
  an approval saying so, and the project carries the flag wherever it is shown.
- A payment is one journal entry: Dr each scope house's sub-account by its share of THIS payment by frozen area
  (``split.split_by_weight``, exact to the fen) / Cr 1201. Payments never exceed the budget.
- A house's balance MAY go below zero through a payment. Real funds pay the contractor from the scope's pooled
  balance and bill the shortfall to the owners; refusing would leave an approved repair unpaid because one house
  is short. It is never silent: the payment reports the houses it took below zero, their statements show the
  negative balance, and the daily job reminds their owners to top up (it is below the 30 % line).

States (one table, ``TRANSITIONS``): proposed → approved | rejected; approved → in progress; in progress →
completed. Payments in progress and after completion (the retention money, 质保金, is paid when the warranty
ends). Cancelled from proposed, approved or in progress while nothing is paid. Anything else is 409.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound, Reason
from gongzhi.estate.models import Building, House, Unit

from .chart import FUND_BANK, house_fund_accounts
from .choices import ApprovalDecision, ApprovalKind, EmergencyKind, EntryKind, FundProjectStatus
from .errors import invalid
from .fund import (
    FEN,
    ZERO,
    clean_date,
    clean_key,
    estate_rules,
    house_totals,
    money_in,
    owned_house_ids,
    require,
    rule_fraction,
    sees_every_house,
)
from .models import (
    Approval,
    ApprovalDocument,
    Document,
    EntryDocument,
    FundProject,
    FundProjectHouse,
    FundProjectItem,
    FundProjectPayment,
    JournalEntry,
    JournalLine,
)
from .policies import LedgerPolicy
from .services import Line, actor_role, clean_text, entry_post
from .split import split_by_weight

S = FundProjectStatus
SCOPES = ("estate", "buildings", "units", "houses")
MAX_ITEMS = 50
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
NOTE_MAX = 500
EMERGENCY_ROLES = frozenset({Role.MANAGER})  # who may declare an emergency and skip the owners' vote
PAYMENT_REF = "fund.project:{project}:payment:{key}"

# action → (the states it may start from, the state it leads to; None: the state stays)
TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    "approve": (frozenset({S.PROPOSED}), S.APPROVED),
    "reject": (frozenset({S.PROPOSED}), S.REJECTED),
    "start": (frozenset({S.APPROVED}), S.IN_PROGRESS),
    "pay": (frozenset({S.IN_PROGRESS, S.COMPLETED}), None),
    "complete": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "cancel": (frozenset({S.PROPOSED, S.APPROVED, S.IN_PROGRESS}), S.CANCELLED),
}

# The rules a tally is checked under (gongzhi.estate.jurisdiction), with the national defaults.
RULE_PART_AREA, RULE_PART_HEADS, RULE_MAJORITY = ("vote.participation_area", "vote.participation_heads",
                                                  "vote.simple_majority")
RULE_TWO_THIRDS = "fund.use_needs_two_thirds_of_scope"
TWO_THIRDS = Fraction(2, 3)


class Lazy:
    """Text rendered when it is shown, in the reader's language (an error's ``messages`` carry every product
    language): a msgid with its parameters, or (with a list) the parts joined by the separator."""

    def __init__(self, text, params):
        self.text, self.params = text, params

    def __str__(self) -> str:
        if isinstance(self.params, list):
            return str(self.text).join(str(p) for p in self.params)
        return str(self.text) % {k: str(v) for k, v in self.params.items()}


def allowed(project: FundProject, action: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return project.status in sources


def _transition(project: FundProject, action: str) -> str | None:
    if not allowed(project, action):
        raise Conflict(_("A project that is %(state)s cannot be %(action)s."), code="project_state",
                       detail={"status": project.status, "action": action},
                       state=S(project.status).label, action=ACTION_LABELS[action])
    return TRANSITIONS[action][1]


ACTION_LABELS = {"approve": _("approved"), "reject": _("rejected"), "start": _("started"), "pay": _("paid"),
                 "complete": _("completed"), "cancel": _("cancelled")}


def _label(actor: Actor) -> str:
    user = actor.user
    return f"{getattr(user, 'name', '') or ''} {getattr(user, 'phone', '')}".strip()[:120] if user else "system"


def rule_set(estate, keys: Iterable[str]) -> str:
    """The rule set a decision was made under: the jurisdiction profile, marked when the estate overrides one
    of the rules applied (the tally keeps the exact figures)."""
    local = any(k in (estate.rule_overrides or {}) for k in keys)
    return f"{estate.jurisdiction}{'+local' if local else ''}"[:40]


def documents_of(actor: Actor, document_ids) -> list[Document]:
    """The actor's estate's documents by id (for the API and the pages); an unknown id, or another estate's, is
    refused alike."""
    try:
        ids = {int(i) for i in document_ids or ()}
    except (TypeError, ValueError):
        raise invalid("document_ids", _("no such document in this estate")) from None
    found = list(Document.objects.filter(estate=actor.estate, pk__in=ids))
    if len(found) != len(ids):
        raise invalid("document_ids", _("no such document in this estate"))
    return found


def _documents(actor: Actor, documents: Sequence[Document], field_name: str) -> list[Document]:
    documents = list(documents or ())
    if not documents:
        raise invalid(field_name, _("is required"))
    if any(not isinstance(d, Document) or d.estate_id != actor.estate.pk for d in documents):
        raise invalid(field_name, _("no such document in this estate"))
    return documents


# --- reads -------------------------------------------------------------------------------------------------------
def _paid_subquery():
    return Subquery(FundProjectPayment.objects.filter(project=OuterRef("pk"), entry__reversed_by__isnull=True)
                    .values("project").annotate(s=Sum("amount")).values("s")[:1])


def fund_project_list(*, actor: Actor, status: str | None = None, house_id: int | None = None,
                      emergency: bool | None = None) -> QuerySet:
    """Projects the actor may read (every reader of the ledger: the fund's use is disclosed to all owners),
    newest first, with ``paid`` and ``scope_count`` annotated (subqueries: no row multiplication)."""
    qs = FundProject.objects.restrict(actor, "view")
    if status:
        qs = qs.filter(status=status)
    if emergency is not None:
        qs = qs.filter(emergency=emergency)
    if house_id is not None:
        qs = qs.filter(pk__in=FundProjectHouse.objects.filter(estate=actor.estate, house_id=house_id)
                       .values("project_id"))
    scope_count = Subquery(FundProjectHouse.objects.filter(project=OuterRef("pk")).values("project")
                           .annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField())
    return qs.annotate(paid=Coalesce(_paid_subquery(), Value(ZERO)),
                       scope_count=Coalesce(scope_count, Value(0))).order_by("-pk")


def fund_project_get(*, actor: Actor, project_id) -> FundProject:
    """One project of the actor's estate; 404 alike for missing, another estate's, or a reader who may not see
    the ledger."""
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    project = (fund_project_list(actor=actor).select_related("approval", "proposed_by")
               .filter(pk=project_id).first())
    if project is None:
        raise NotFound()
    return project


def paid_total(project: FundProject) -> Decimal:
    """What has been paid (payments whose entry was reversed do not count)."""
    total = (FundProjectPayment.objects.filter(project=project, entry__reversed_by__isnull=True)
             .aggregate(s=Sum("amount"))["s"])
    return Decimal(total or 0).quantize(FEN)


# --- proposal ----------------------------------------------------------------------------------------------------
def _items(items) -> list[tuple[str, Decimal]]:
    rows = list(items or ())
    if not rows:
        raise invalid("items", _("a project needs at least one item"))
    if len(rows) > MAX_ITEMS:
        raise invalid("items", Reason(_("too many items (at most %(max)s)"), max=MAX_ITEMS))
    out = []
    for i, item in enumerate(rows, start=1):
        text, amount = (item.get("description"), item.get("amount")) if isinstance(item, Mapping) else item
        out.append((clean_text(f"items[{i}].description", text, required=True),
                    money_in(amount, f"items[{i}].amount")))
    return out


def _ids(values, field_name: str) -> set[int]:
    try:
        ids = {int(v) for v in values or ()}
    except (TypeError, ValueError):
        raise invalid(field_name, _("not a list of ids")) from None
    if not ids:
        raise invalid(field_name, _("is required"))
    return ids


def scope_houses(estate, scope: str, scope_ids=()) -> list[House]:
    """The houses of a charge scope: the whole estate, some buildings, some units, or some houses. An id that is
    not of this estate is refused (400), never silently dropped."""
    houses = House.objects.filter(estate=estate).order_by("pk")
    if scope == "estate":
        found = list(houses)
    elif scope in {"buildings", "units", "houses"}:
        model = {"buildings": Building, "units": Unit, "houses": House}[scope]
        ids = _ids(scope_ids, "scope_ids")
        if model.objects.filter(estate=estate, pk__in=ids).count() != len(ids):
            raise invalid("scope_ids", Reason(_("no such %(scope)s in this estate"), scope=scope))
        found = list(houses.filter(**{"building_id__in" if scope == "buildings" else
                                      "unit_id__in" if scope == "units" else "pk__in": ids}))
    else:
        raise invalid("scope", Reason(_("must be one of %(choices)s"), choices=", ".join(SCOPES)))
    if not found:
        raise invalid("scope", _("the charge scope has no houses"))
    return found


@transaction.atomic
def fund_project_propose(*, actor: Actor, title: str, items, scope: str = "estate", scope_ids=(),
                         description: str = "", emergency: bool = False, emergency_kind: str = "",
                         contractor: str = "", idempotency_key: str = "") -> FundProject:
    """Propose a project: items (description, amount) whose sum is the budget, and the charge scope frozen with
    each house's area. An emergency (with its kind, manager only) is approved at once without a vote."""
    require(actor, "post")
    key = clean_key(idempotency_key, required=False)
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise invalid("title", Reason(_("is required (at most %(max)s characters)"), max=TITLE_MAX))
    clean_text("description", title)  # no control characters: the title goes into entries' descriptions
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise invalid("description", Reason(_("is too long (at most %(max)s characters)"), max=DESCRIPTION_MAX))
    contractor = clean_text("counterparty", contractor)
    emergency = bool(emergency)
    if emergency:
        if emergency_kind not in EmergencyKind.values:
            raise invalid("emergency_kind", _("an emergency needs its kind"))
        if not actor.has_any(EMERGENCY_ROLES):
            raise Forbidden(_("Only the property manager may declare an emergency repair."))
    elif emergency_kind:
        raise invalid("emergency_kind", _("only an emergency has a kind"))
    rows = _items(items)
    budget = sum((amount for _t, amount in rows), ZERO)
    existing = FundProject.objects.filter(estate=actor.estate, idempotency_key=key).first() if key else None
    if existing is not None:  # a retry returns the first project; the key reused for another one is a conflict
        if (existing.title, existing.budget) != (title, budget):
            raise Conflict(_("This key was already used for another project (%(title)s)."),
                           code="idempotency_key_reused", detail={"project_id": existing.pk},
                           title=existing.title)
        return existing
    houses = scope_houses(actor.estate, scope, scope_ids)
    project = FundProject.objects.create(
        estate=actor.estate, title=title, description=description, emergency=emergency,
        emergency_kind=emergency_kind if emergency else "", contractor=contractor, budget=budget,
        proposed_by=actor.user, scope_area_m2=sum((h.area_m2 for h in houses), Decimal("0")),
        idempotency_key=key)
    FundProjectItem.objects.bulk_create([FundProjectItem(estate=actor.estate, project=project, position=i,
                                                         description=text, amount=amount)
                                         for i, (text, amount) in enumerate(rows, start=1)])
    FundProjectHouse.objects.bulk_create([FundProjectHouse(estate=actor.estate, project=project, house=h,
                                                           area_m2=h.area_m2) for h in houses], batch_size=1000)
    audit(user=actor.user, estate=actor.estate, action="fund_project.propose", obj=project,
          after={**snapshot(project, ["title", "budget", "emergency", "emergency_kind", "contractor",
                                      "scope_area_m2"]), "scope": scope, "houses": len(houses)})
    if emergency:
        approval = Approval.objects.create(
            estate=actor.estate, kind=ApprovalKind.FUND_PROJECT, decision=ApprovalDecision.APPROVED,
            decided_by=actor.user, decided_by_role=actor_role(actor), decided_by_label=_label(actor),
            rule_set=rule_set(actor.estate, []),
            note=str(_("Emergency repair (%(kind)s): the owners' vote is skipped; recorded and disclosed as an "
                       "emergency.") % {"kind": EmergencyKind(emergency_kind).label})[:NOTE_MAX])
        project.approval, project.status = approval, S.APPROVED
        project.save(update_fields=["approval", "status"])
        audit(user=actor.user, estate=actor.estate, action="fund_project.emergency", obj=project,
              after={"approval": approval.pk, "emergency_kind": emergency_kind})
    return project


# --- the owners' decision ----------------------------------------------------------------------------------------
@dataclass
class Tally:
    area_for: Decimal
    area_against: Decimal
    area_abstain: Decimal
    area_total: Decimal
    heads_for: int
    heads_against: int
    heads_abstain: int
    heads_total: int

    @property
    def area_participating(self) -> Decimal:
        return self.area_for + self.area_against + self.area_abstain

    @property
    def heads_participating(self) -> int:
        return self.heads_for + self.heads_against + self.heads_abstain


@dataclass
class TallyResult:
    tally: Tally
    rules: dict
    checks: dict[str, bool]
    failures: list = field(default_factory=list)  # Lazy texts: each says which floor was missed, with figures

    @property
    def passes(self) -> bool:
        return all(self.checks.values())

    def as_json(self) -> dict:
        t = self.tally
        return {
            "area": {"for": str(t.area_for), "against": str(t.area_against), "abstain": str(t.area_abstain),
                     "participating": str(t.area_participating), "total": str(t.area_total)},
            "heads": {"for": t.heads_for, "against": t.heads_against, "abstain": t.heads_abstain,
                      "participating": t.heads_participating, "total": t.heads_total},
            "rules": self.rules, "checks": self.checks, "passes": self.passes,
        }


def _area(value, field_name: str) -> Decimal:
    if value in (None, ""):
        value = "0"
    if isinstance(value, float):
        value = repr(value)
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field_name, _("not an area")) from None
    if not area.is_finite() or area < 0 or area != area.quantize(FEN) or area > Decimal("9999999999.99"):
        raise invalid(field_name, _("must be zero or more, in m² with at most two decimals"))
    return area.quantize(FEN)


def _heads(value, field_name: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise invalid(field_name, _("must be a whole number"))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field_name, _("must be a whole number")) from None
    if not number.is_finite() or number != number.to_integral_value() or number > 10**9:
        raise invalid(field_name, _("must be a whole number"))
    if number < 0:
        raise invalid(field_name, _("must be zero or more"))
    return int(number)


def parse_tally(project: FundProject, raw: Mapping, scope_houses_count: int) -> Tally:
    """The tally as given: area (m²) and headcount for, against and abstaining, and the totals of the charge
    scope. The scope's area is the frozen one (a different total is refused); its headcount is at least one and
    at most one per house (an owner of several houses counts once, DOMAIN.md)."""
    if not isinstance(raw, Mapping):
        raise invalid("tally", _("is required"))
    area, heads = raw.get("area") or {}, raw.get("heads") or {}
    if not isinstance(area, Mapping) or not isinstance(heads, Mapping):
        raise invalid("tally", _("needs area and heads"))
    t = Tally(area_for=_area(area.get("for"), "tally.area.for"),
              area_against=_area(area.get("against"), "tally.area.against"),
              area_abstain=_area(area.get("abstain"), "tally.area.abstain"),
              area_total=_area(area.get("total") or project.scope_area_m2, "tally.area.total"),
              heads_for=_heads(heads.get("for"), "tally.heads.for"),
              heads_against=_heads(heads.get("against"), "tally.heads.against"),
              heads_abstain=_heads(heads.get("abstain"), "tally.heads.abstain"),
              heads_total=_heads(heads.get("total"), "tally.heads.total"))
    if t.area_total != project.scope_area_m2:
        raise invalid("tally.area.total", Reason(_("the charge scope's area is %(area)s m²"),
                                                 area=project.scope_area_m2))
    if not 1 <= t.heads_total <= scope_houses_count:
        raise invalid("tally.heads.total", Reason(_("must be between 1 and the %(houses)s houses of the charge scope"),
                                                  houses=scope_houses_count))
    if t.area_participating > t.area_total:
        raise invalid("tally.area", _("more area voted than the charge scope has"))
    if t.heads_participating > t.heads_total:
        raise invalid("tally.heads", _("more owners voted than the charge scope has"))
    return t


def check_tally(estate, t: Tally) -> TallyResult:
    """Civil Code art. 278, matter (5), checked exactly (fractions, never floats)."""
    two_thirds = bool(estate_rules(estate).get(RULE_TWO_THIRDS, False))
    part_area = rule_fraction(estate, RULE_PART_AREA, "2/3")
    part_heads = rule_fraction(estate, RULE_PART_HEADS, "2/3")
    majority = rule_fraction(estate, RULE_MAJORITY, "1/2")
    rules = {"participation_area": str(part_area), "participation_heads": str(part_heads),
             "majority": str(majority), "two_thirds_of_scope": two_thirds}
    fa, pa, ta = Fraction(t.area_for), Fraction(t.area_participating), Fraction(t.area_total)
    fh, ph, th = Fraction(t.heads_for), Fraction(t.heads_participating), Fraction(t.heads_total)
    failures = []
    if two_thirds:
        checks = {"scope_area": fa >= TWO_THIRDS * ta, "scope_heads": fh >= TWO_THIRDS * th}
        if not checks["scope_area"]:
            failures.append(Lazy(_("area for %(for)s of the scope's %(total)s m² (at least %(need)s needed)"),
                                 {"for": t.area_for, "total": t.area_total, "need": "2/3"}))
        if not checks["scope_heads"]:
            failures.append(Lazy(_("owners for %(for)s of the scope's %(total)s (at least %(need)s needed)"),
                                 {"for": t.heads_for, "total": t.heads_total, "need": "2/3"}))
    else:
        checks = {"participation_area": pa >= part_area * ta, "participation_heads": ph >= part_heads * th,
                  "approval_area": fa > majority * pa, "approval_heads": fh > majority * ph}
        if not checks["participation_area"]:
            failures.append(Lazy(_("participating area %(part)s of %(total)s m² (at least %(need)s needed)"),
                                 {"part": t.area_participating, "total": t.area_total, "need": part_area}))
        if not checks["participation_heads"]:
            failures.append(Lazy(_("participating owners %(part)s of %(total)s (at least %(need)s needed)"),
                                 {"part": t.heads_participating, "total": t.heads_total, "need": part_heads}))
        if not checks["approval_area"]:
            failures.append(Lazy(_("area for %(for)s of %(part)s m² participating (more than %(need)s needed)"),
                                 {"for": t.area_for, "part": t.area_participating, "need": majority}))
        if not checks["approval_heads"]:
            failures.append(Lazy(_("owners for %(for)s of %(part)s participating (more than %(need)s needed)"),
                                 {"for": t.heads_for, "part": t.heads_participating, "need": majority}))
    return TallyResult(tally=t, rules=rules, checks=checks, failures=failures)


def _locked(actor: Actor, project_id) -> FundProject:
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    project = FundProject.objects.select_for_update().filter(estate=actor.estate, pk=project_id).first()
    if project is None or not LedgerPolicy.can(actor, "view"):
        raise NotFound()
    return project


@transaction.atomic
def fund_project_record_approval(*, actor: Actor, project_id, decision: str, tally: Mapping,
                                 documents: Sequence[Document], note: str = "") -> Approval:
    """Record the owners' decision on a proposed project (the owners' committee): the tally of the charge scope
    and the decision document (the resolution, the minutes). An "approved" decision whose tally does not pass
    art. 278 is refused (400 ``tally_does_not_pass`` with the figures); a "rejected" one is recorded as decided,
    with a note required when its tally would have passed (why the owners' vote is not followed)."""
    project = _locked(actor, project_id)
    if not LedgerPolicy.can(actor, "approve"):
        raise Forbidden()
    if decision not in ApprovalDecision.values:
        raise invalid("decision", Reason(_("must be one of %(choices)s"), choices=", ".join(ApprovalDecision.values)))
    if project.emergency:
        raise Conflict(_("An emergency project is not put to the owners' vote."), code="project_emergency")
    target = _transition(project, "approve" if decision == ApprovalDecision.APPROVED else "reject")
    note = clean_text("staff_note", note)
    documents = _documents(actor, documents, "documents")
    scope_count = FundProjectHouse.objects.filter(project=project).count()
    result = check_tally(actor.estate, parse_tally(project, tally, scope_count))
    if decision == ApprovalDecision.APPROVED and not result.passes:
        raise DomainError(_("The tally does not pass Civil Code art. 278: %(failures)s."),
                          code="tally_does_not_pass", detail=result.as_json(), failures=Lazy("; ", result.failures))
    if decision == ApprovalDecision.REJECTED and result.passes and not note:
        raise invalid("note", _("the tally passes: say why the project is rejected"))
    approval = Approval.objects.create(
        estate=actor.estate, kind=ApprovalKind.FUND_PROJECT, decision=decision, decided_by=actor.user,
        decided_by_role=actor_role(actor), decided_by_label=_label(actor), note=note,
        rule_set=rule_set(actor.estate, [RULE_PART_AREA, RULE_PART_HEADS, RULE_MAJORITY, RULE_TWO_THIRDS]),
        tally=result.as_json())
    ApprovalDocument.objects.bulk_create([ApprovalDocument(estate=actor.estate, approval=approval, document=d)
                                          for d in documents])
    project.approval, project.status = approval, target
    project.save(update_fields=["approval", "status"])
    audit(user=actor.user, estate=actor.estate, action=f"fund_project.{decision}", obj=project,
          after={"approval": approval.pk, "tally": result.as_json()})
    return approval


# --- execution ---------------------------------------------------------------------------------------------------
def _move(actor: Actor, project_id, action: str, **stamps) -> FundProject:
    require(actor, "post")
    project = _locked(actor, project_id)
    before = project.status
    project.status = _transition(project, action)
    for name, value in stamps.items():
        setattr(project, name, value)
    project.save(update_fields=["status", *stamps])
    audit(user=actor.user, estate=actor.estate, action=f"fund_project.{action}", obj=project,
          before={"status": before}, after={"status": project.status})
    return project


@transaction.atomic
def fund_project_start(*, actor: Actor, project_id) -> FundProject:
    return _move(actor, project_id, "start", started_at=timezone.now())


@transaction.atomic
def fund_project_complete(*, actor: Actor, project_id) -> FundProject:
    return _move(actor, project_id, "complete", completed_at=timezone.now())


@transaction.atomic
def fund_project_cancel(*, actor: Actor, project_id, reason: str) -> FundProject:
    """Cancel a project before anything is paid (a reversed payment does not count); the reason is audited."""
    require(actor, "post")
    reason = clean_text("staff_note", reason, required=True)
    project = _locked(actor, project_id)
    _transition(project, "cancel")
    if paid_total(project) > 0:
        raise Conflict(_("Payments were made on this project: it can no longer be cancelled."),
                       code="project_paid")
    before = project.status
    project.status = S.CANCELLED
    project.save(update_fields=["status"])
    audit(user=actor.user, estate=actor.estate, action="fund_project.cancel", obj=project,
          before={"status": before}, after={"status": project.status, "reason": reason})
    return project


@dataclass
class PaymentResult:
    payment: FundProjectPayment
    shares: dict[int, Decimal]  # house id → its share of this payment
    shortfalls: dict[int, Decimal]  # house id → its balance, for the houses now below zero
    created: bool


@transaction.atomic
def fund_project_pay(*, actor: Actor, project_id, amount, date: datetime.date, documents: Sequence[Document],
                     idempotency_key: str, description: str = "") -> PaymentResult:
    """Pay the contractor: one entry, Dr each scope house's sub-account by its share of this payment by frozen
    area / Cr 1201, carrying the project's approval and the invoice. Reference
    ``fund.project:<id>:payment:<key>``: a retry returns the first payment. The total paid may not exceed the
    budget (409 ``over_budget``)."""
    require(actor, "post")
    amount = money_in(amount, "amount")
    key = clean_key(idempotency_key)
    date = clean_date(date)
    project = _locked(actor, project_id)
    reference = PAYMENT_REF.format(project=project.pk, key=key)
    existing = (FundProjectPayment.objects.filter(estate=actor.estate, entry__reference=reference)
                .select_related("entry").first())
    if existing is not None:
        if existing.amount != amount or existing.project_id != project.pk:
            raise Conflict(_("This key was already used for a different %(what)s (entry #%(seq)s)."),
                           code="idempotency_key_reused", detail={"entry_id": existing.entry_id},
                           what=_("payment"), seq=existing.entry.seq)
        return PaymentResult(payment=existing, shares=_shares_of(existing.entry), shortfalls={}, created=False)
    _transition(project, "pay")
    documents = _documents(actor, documents, "documents")
    paid = paid_total(project)
    if paid + amount > project.budget:
        raise Conflict(_("The payment of %(amount)s would exceed the budget: %(paid)s of %(budget)s is paid, "
                         "%(left)s is left."), code="over_budget",
                       detail={"budget": str(project.budget), "paid": str(paid), "amount": str(amount),
                               "left": str(project.budget - paid)},
                       amount=amount, paid=paid, budget=project.budget, left=project.budget - paid)
    weights = list(FundProjectHouse.objects.filter(project=project).values_list("house_id", "area_m2"))
    shares = split_by_weight(amount, weights)
    charged = sorted(h for h, share in shares.items() if share > 0)
    accounts = house_fund_accounts(actor.estate, charged)
    text = clean_text("description", description) or str(
        _("%(project)s: payment to the contractor") % {"project": project.title})
    entry = entry_post(estate=actor.estate, actor=actor, date=date, kind=EntryKind.FUND_USE,
                       description=text[:200], counterparty=project.contractor, reference=reference,
                       approval=project.approval, documents=documents,
                       lines=[Line(accounts[h], debit=shares[h]) for h in charged] + [Line(FUND_BANK, credit=amount)])
    payment = FundProjectPayment.objects.create(estate=actor.estate, project=project, amount=amount, entry=entry)
    shortfalls = {h: t.balance for h, t in house_totals(estate=actor.estate, house_ids=charged).items()
                  if t.balance < 0}
    audit(user=actor.user, estate=actor.estate, action="fund_project.pay", obj=project,
          after={"amount": str(amount), "entry": entry.seq, "paid": str(paid + amount),
                 "houses_below_zero": sorted(shortfalls)})
    return PaymentResult(payment=payment, shares={h: shares[h] for h in charged}, shortfalls=shortfalls,
                         created=True)


def _shares_of(entry: JournalEntry) -> dict[int, Decimal]:
    return {h: d for h, d in JournalLine.objects.filter(entry=entry, account__house__isnull=False)
            .values_list("account__house_id", "debit")}


# --- what a reader sees of a project ------------------------------------------------------------------------------
@dataclass
class ProjectView:
    project: FundProject
    items: list
    paid: Decimal
    left: Decimal
    scope_count: int
    by_building: list[dict]  # building name, houses, area
    sees_houses: bool  # staff, the committee and the owners in the scope see which houses
    my_houses: list[int]  # the actor's own houses in the scope
    approval: Approval | None
    approval_documents: list
    payments: list[dict]  # each: payment, entry, reversed, documents, my_shares [{house_id, house, share}]
    house_codes: dict[int, str]

    @property
    def my_house_codes(self) -> list[str]:
        return [self.house_codes.get(h, "") for h in self.my_houses]


def project_view(*, actor: Actor, project: FundProject) -> ProjectView:
    """Everything the project page and the API show, in a fixed number of queries. Every reader sees the items,
    the budget, the scope's size and area by building, the decision (tally or emergency) and the payments: the
    use of the fund is disclosed to all owners (Civil Code art. 943). Which houses are in the scope is shown to
    staff, the committee and the owners of houses in it (they share the cost), not to other owners; each owner
    sees their own houses' share of every payment."""
    private = LedgerPolicy.can(actor, "view_private")
    owned = set() if sees_every_house(actor) else set(owned_house_ids(actor))
    scope = FundProjectHouse.objects.filter(project=project)
    mine = sorted(scope.filter(house_id__in=owned).values_list("house_id", flat=True)) if owned else []
    by_building = [{**b, "area": Decimal(b["area"]).quantize(FEN)}  # SQLite sums decimals as floats
                   for b in scope.values("house__building_id", "house__building__name")
                   .annotate(houses=Count("pk"), area=Sum("area_m2"))
                   .order_by("house__building__sort_key", "house__building__name")]
    approval_documents = []
    if project.approval_id:
        approval_documents = [ad.document for ad in ApprovalDocument.objects.filter(approval_id=project.approval_id)
                              .select_related("document").order_by("pk") if private or not ad.document.staff_only]
    payments = list(FundProjectPayment.objects.filter(project=project).select_related("entry", "entry__reversed_by")
                    .order_by("entry__seq"))
    entry_ids = [p.entry_id for p in payments]
    documents: dict[int, list] = {}
    for ed in EntryDocument.objects.filter(entry_id__in=entry_ids).select_related("document").order_by("pk"):
        if private or not ed.document.staff_only:
            documents.setdefault(ed.entry_id, []).append(ed.document)
    my_shares: dict[int, dict[int, Decimal]] = {}
    if mine and entry_ids:
        for entry_id, house_id, debit in JournalLine.objects.filter(
                entry_id__in=entry_ids, account__house_id__in=mine).values_list("entry_id", "account__house_id",
                                                                               "debit"):
            my_shares.setdefault(entry_id, {})[house_id] = debit
    codes = {h.pk: h.code for h in House.objects.filter(pk__in=mine).select_related("building", "unit")}
    paid = sum((p.amount for p in payments if not _reversed(p.entry)), ZERO)
    return ProjectView(
        project=project, items=list(project.items.order_by("position")), paid=paid, left=project.budget - paid,
        scope_count=sum(b["houses"] for b in by_building), by_building=by_building,
        sees_houses=private or bool(mine), my_houses=mine, approval=project.approval,
        approval_documents=approval_documents,
        payments=[{"payment": p, "entry": p.entry, "reversed": _reversed(p.entry),
                   "documents": documents.get(p.entry_id, []),
                   "my_shares": [{"house_id": h, "house": codes.get(h, ""), "share": share}
                                 for h, share in sorted(my_shares.get(p.entry_id, {}).items())]}
                  for p in payments], house_codes=codes)


def _reversed(entry: JournalEntry) -> bool:
    try:
        return entry.reversed_by is not None
    except JournalEntry.DoesNotExist:
        return False


def scope_house_page(*, actor: Actor, project: FundProject, view: ProjectView):
    """The houses of the scope with their frozen areas, paged (only for those who may see them)."""
    if not view.sees_houses:
        raise NotFound()
    return (FundProjectHouse.objects.filter(project=project)
            .select_related("house", "house__building", "house__unit"))
