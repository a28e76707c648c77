"""The owners' committee's quarterly evaluation of the property company against the service contract's items
(formulas in ``scoring``), from the quarter's satisfaction survey and the ticket metrics
(``gongzhi.tickets.metrics``). Draft → published (frozen; a notice to the owners); a correction is a new revision
that supersedes the published one when it is itself published."""

import dataclasses
import datetime
from collections import defaultdict
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.tickets.metrics import Period, Tally, period_rows, tally
from gongzhi.tickets.models import Category

from . import scoring
from .choices import EvaluationStatus, SurveyStatus, TicketMeasure
from .errors import frozen, invalid
from .exact import percent, to_decimal
from .models import Answer, ContractItem, Evaluation, EvaluationItem, Survey
from .periods import quarter_bounds
from .policies import EvaluationPolicy

COMMENT_MAX = 4000


def _write(actor: Actor) -> None:
    if not EvaluationPolicy.can(actor, "write"):
        raise Forbidden()


def _json(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(to_decimal(value, 2))
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


# --- the contract items -------------------------------------------------------------------------------------------
@transaction.atomic
def contract_item_save(*, actor: Actor, item_id: int | None = None, name: str, weight: int = 1, position: int = 0,
                       question_key: str = "", survey_weight: int = 1, ticket_measure: str = "",
                       ticket_category_id: int | None = None, ticket_weight: int = 1,
                       active: bool = True) -> ContractItem:
    """Create an item (``item_id`` None; a retry with the same name updates it) or change one. Past evaluations keep
    their own copy of name and weight."""
    _write(actor)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise invalid("name", _("is required (at most 60 characters)"))
    for field, value in (("weight", weight), ("survey_weight", survey_weight), ("ticket_weight", ticket_weight)):
        if not isinstance(value, int) or not 0 <= value <= 100:
            raise invalid(field, _("must be between %(low)s and %(high)s"), low=0, high=100)
    if weight == 0:
        raise invalid("weight", _("must be between %(low)s and %(high)s"), low=1, high=100)
    if ticket_measure not in TicketMeasure.values:
        raise invalid("ticket_measure", _("is not one of the allowed values"))
    question_key = (question_key or "").strip()
    if not question_key and not ticket_measure:
        raise invalid("question_key", _("give a survey question key or a ticket measure (or both)"))
    category = None
    if ticket_category_id is not None:
        category = Category.objects.for_estate(actor.estate).filter(pk=ticket_category_id).first()
        if category is None:
            raise invalid("ticket_category_id", _("is not a ticket category of this estate"))
    items = ContractItem.objects.for_estate(actor.estate).select_for_update()
    item = items.filter(pk=item_id).first() if item_id is not None else items.filter(name=name).first()
    if item_id is not None and item is None:
        raise NotFound()
    before = None if item is None else {"name": item.name, "weight": item.weight}
    item = item or ContractItem(estate=actor.estate)
    item.name, item.weight, item.position, item.question_key = name, weight, position, question_key
    item.survey_weight, item.ticket_measure, item.ticket_category = survey_weight, ticket_measure, category
    item.ticket_weight, item.active = ticket_weight, active
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise Conflict(_("Another item has this name."), code="contract_item_name") from None
    audit(user=actor.user, estate=actor.estate, action="contract_item.save", obj=item, before=before,
          after={"name": item.name, "weight": item.weight, "question_key": question_key,
                 "ticket_measure": ticket_measure, "ticket_category": ticket_category_id})
    return item


def contract_items(*, actor: Actor):
    if not EvaluationPolicy.can(actor, "view"):
        raise Forbidden()
    return ContractItem.objects.for_estate(actor.estate).select_related("ticket_category")


# --- computing ----------------------------------------------------------------------------------------------------
def quarter_survey(estate, first: datetime.date, last: datetime.date) -> Survey | None:
    """The quarter's satisfaction survey: the scheduled one of the quarter, else the latest survey opened in it."""
    qs = Survey.objects.for_estate(estate).filter(is_template=False, status__in=[SurveyStatus.PUBLISHED,
                                                                                SurveyStatus.CLOSED])
    scheduled = qs.filter(schedule__isnull=False, period_start=first).order_by("pk").first()
    if scheduled is not None:
        return scheduled
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time()))
    return qs.filter(opens_at__gte=start, opens_at__lt=end).order_by("-opens_at", "-pk").first()


@dataclasses.dataclass
class Computed:
    survey: Survey | None
    items: list[dict]
    score: Fraction | None
    inputs: dict


def compute(estate, year: int, quarter: int) -> Computed:
    """The scores of every active contract item for the quarter: three queries for the survey's answers, two for
    the tickets."""
    first, last = quarter_bounds(year, quarter)
    survey = quarter_survey(estate, first, last)
    items = list(ContractItem.objects.for_estate(estate).filter(active=True).select_related("ticket_category"))
    keys = {i.question_key for i in items if i.question_key}
    answers: dict[str, tuple[str, list[int]]] = {}
    if survey is not None and keys:
        found = defaultdict(list)
        kinds = {}
        for key, kind, value in (Answer.objects.filter(response__survey=survey, question__key__in=keys)
                                 .filter(~Q(value=None)).values_list("question__key", "question__kind", "value")):
            found[key].append(value)
            kinds[key] = kind
        for q in survey.questions.filter(key__in=keys):
            answers[q.key] = (q.kind, found.get(q.key, []))
    tallies = None
    if any(i.ticket_measure for i in items):
        tickets, ratings = period_rows(estate=estate, period=Period(first=first, last=last))
        tallies = tally(tickets.iterator(chunk_size=5000), ratings, Period(first=first, last=last))
    rows = []
    for item in items:
        measures = []
        inputs: dict[str, Any] = {}
        if item.question_key:
            kind, values = answers.get(item.question_key, ("", []))
            score, detail = scoring.survey_measure(kind, values)
            inputs["survey"] = {"key": item.question_key, "kind": kind, "weight": item.survey_weight,
                                "score": score, **detail}
            measures.append((item.survey_weight, score))
        if item.ticket_measure and tallies is not None:
            source = (tallies.by_category.get(item.ticket_category_id, Tally()) if item.ticket_category_id
                      else tallies.overall)
            score, detail = scoring.ticket_measure(item.ticket_measure, source)
            inputs["tickets"] = {"measure": item.ticket_measure, "weight": item.ticket_weight, "score": score,
                                 "category": item.ticket_category.name if item.ticket_category else "", **detail}
            measures.append((item.ticket_weight, score))
        rows.append({"item": item, "score": scoring.weighted(measures), "inputs": inputs})
    overall = scoring.weighted([(r["item"].weight, r["score"]) for r in rows])
    return Computed(survey=survey, items=rows, score=overall, inputs={
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "survey": None if survey is None else {
            "id": survey.pk, "title": survey.title, "responses": survey.responses_count,
            "audience_size": survey.audience_size,
            "response_rate": _str(percent(survey.responses_count, survey.audience_size or 0))},
    })


def _str(value):
    return None if value is None else str(value)


def _latest(estate, year: int, quarter: int) -> Evaluation | None:
    return (Evaluation.objects.for_estate(estate).filter(year=year, quarter=quarter).order_by("-revision")
            .select_for_update().first())


def _fill(evaluation: Evaluation, computed: Computed, *, comments: dict[int, str] | None = None) -> None:
    comments = comments or {}
    evaluation.survey = computed.survey
    evaluation.score = to_decimal(computed.score, 2)
    evaluation.inputs = _json(computed.inputs)
    evaluation.computed_at = timezone.now()
    evaluation.save()
    evaluation.items.all().delete()
    EvaluationItem.objects.bulk_create([
        EvaluationItem(estate_id=evaluation.estate_id, evaluation=evaluation, contract_item=r["item"],
                       name=r["item"].name, position=r["item"].position, weight=r["item"].weight,
                       score=to_decimal(r["score"], 2), inputs=_json(r["inputs"]),
                       comment=comments.get(r["item"].pk, ""))
        for r in computed.items])


def _check_quarter(year: int, quarter: int) -> None:
    if not 2000 <= year <= 2100:
        raise invalid("year", _("must be between %(low)s and %(high)s"), low=2000, high=2100)
    if not 1 <= quarter <= 4:
        raise invalid("quarter", _("must be between %(low)s and %(high)s"), low=1, high=4)
    first, _last = quarter_bounds(year, quarter)
    if first > timezone.localdate():
        raise invalid("quarter", _("has not started yet"))


@transaction.atomic
def evaluation_compute(*, actor: Actor, year: int, quarter: int) -> Evaluation:
    """Compute (or recompute) the quarter's draft from the current data, keeping the comments already written.
    When the quarter's latest revision is published it is frozen: 409 (start a correction)."""
    _write(actor)
    _check_quarter(year, quarter)
    evaluation = _latest(actor.estate, year, quarter)
    if evaluation is not None and evaluation.status != EvaluationStatus.DRAFT:
        raise frozen("evaluation")
    comments = {}
    if evaluation is None:
        evaluation = Evaluation(estate=actor.estate, year=year, quarter=quarter, created_by=actor.user)
    else:
        comments = {i.contract_item_id: i.comment for i in evaluation.items.all()}
    _fill(evaluation, compute(actor.estate, year, quarter), comments=comments)
    audit(user=actor.user, estate=actor.estate, action="evaluation.compute", obj=evaluation,
          after={"score": _str(evaluation.score), "revision": evaluation.revision})
    return evaluation


def evaluation_get_for_actor(*, actor: Actor, evaluation_id: int, lock: bool = False) -> Evaluation:
    qs = Evaluation.objects.restrict(actor)
    if lock:
        qs = qs.select_for_update()
    evaluation = qs.filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound()
    return evaluation


@transaction.atomic
def evaluation_comment(*, actor: Actor, evaluation_id: int, comment: str = "",
                       item_comments: dict[int, str] | None = None) -> Evaluation:
    """The committee's overall comment and its comment per item (``item_comments``: evaluation item id → text)."""
    evaluation = evaluation_get_for_actor(actor=actor, evaluation_id=evaluation_id, lock=True)  # 404 before 403
    _write(actor)
    if evaluation.status != EvaluationStatus.DRAFT:
        raise frozen("evaluation")
    texts = {"comment": comment or "", **{f"items[{k}]": v or "" for k, v in (item_comments or {}).items()}}
    for field, text in texts.items():
        if len(text) > COMMENT_MAX:
            raise invalid(field, _("at most %(max)s characters"), max=COMMENT_MAX)
    items = {i.pk: i for i in evaluation.items.all()}
    for item_id, text in (item_comments or {}).items():
        if int(item_id) not in items:
            raise invalid(f"items[{item_id}]", _("is not an item of this evaluation"))
        item = items[int(item_id)]
        item.comment = (text or "").strip()
        item.save(update_fields=["comment"])
    evaluation.comment = (comment or "").strip()
    evaluation.save(update_fields=["comment"])
    audit(user=actor.user, estate=actor.estate, action="evaluation.comment", obj=evaluation,
          after={"comment": evaluation.comment, "items": len(item_comments or {})})
    return evaluation


@transaction.atomic
def evaluation_correct(*, actor: Actor, evaluation_id: int) -> Evaluation:
    """Start a correction of a published evaluation: a new draft revision holding its comments, recomputed. A
    correction already started is returned (a retry)."""
    published = evaluation_get_for_actor(actor=actor, evaluation_id=evaluation_id, lock=True)  # 404 before 403
    _write(actor)
    latest = _latest(actor.estate, published.year, published.quarter)
    if latest.status == EvaluationStatus.DRAFT:
        return latest
    if published.pk != latest.pk:
        raise Conflict(_("Only the latest revision can be corrected."), code="evaluation_not_latest")
    draft = Evaluation(estate=actor.estate, year=published.year, quarter=published.quarter,
                       revision=published.revision + 1, comment=published.comment, created_by=actor.user)
    comments = {i.contract_item_id: i.comment for i in published.items.all()}
    _fill(draft, compute(actor.estate, published.year, published.quarter), comments=comments)
    audit(user=actor.user, estate=actor.estate, action="evaluation.correct", obj=draft,
          after={"corrects": published.pk, "revision": draft.revision})
    return draft


def _notice_text(evaluation: Evaluation) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext("Evaluation of the property company, %(year)s Q%(q)s") % {
            "year": evaluation.year, "q": evaluation.quarter}
        if evaluation.revision > 1:
            title = gettext("Correction: %(title)s") % {"title": title}
        lines = [gettext("Overall score: %(score)s / 100") % {"score": evaluation.score if evaluation.score
                                                                   is not None else "—"}]
        for item in evaluation.items.all():
            lines.append(f"· {item.name}: {item.score if item.score is not None else '—'}")
        if evaluation.comment:
            lines += ["", evaluation.comment]
        lines += ["", gettext("Details and how each score is computed: %(url)s") % {
            "url": reverse("surveys:evaluation", args=[evaluation.estate_id, evaluation.pk])}]
    return title[:120], "\n".join(lines)


def _post_notice(actor: Actor, evaluation: Evaluation) -> int:
    """The committee publishes its evaluation to the owners as a notice. Notices are written by the company's
    staff (NoticePolicy); the committee's own announcements go through ``notice_publish_on_behalf``, which
    names the committee member as the author."""
    from gongzhi.notices.services import notice_publish_on_behalf

    title, body = _notice_text(evaluation)
    return notice_publish_on_behalf(actor=actor, title=title, body=body).pk


@transaction.atomic
def evaluation_publish(*, actor: Actor, evaluation_id: int) -> Evaluation:
    """Publish a draft: frozen from now on, the previous published revision is superseded, and the owners get a
    notice. Publishing a published evaluation again changes nothing."""
    evaluation = evaluation_get_for_actor(actor=actor, evaluation_id=evaluation_id, lock=True)  # 404 before 403
    _write(actor)
    if evaluation.status == EvaluationStatus.PUBLISHED:
        return evaluation
    if evaluation.status != EvaluationStatus.DRAFT:
        raise frozen("evaluation")
    (Evaluation.objects.for_estate(actor.estate)
     .filter(year=evaluation.year, quarter=evaluation.quarter, status=EvaluationStatus.PUBLISHED)
     .update(status=EvaluationStatus.SUPERSEDED))
    evaluation.status, evaluation.published_at, evaluation.published_by = (EvaluationStatus.PUBLISHED,
                                                                          timezone.now(), actor.user)
    evaluation.notice_id = _post_notice(actor, evaluation)
    evaluation.save(update_fields=["status", "published_at", "published_by", "notice_id"])
    audit(user=actor.user, estate=actor.estate, action="evaluation.publish", obj=evaluation,
          after={"score": _str(evaluation.score), "revision": evaluation.revision, "notice": evaluation.notice_id})
    return evaluation


def evaluation_list(*, actor: Actor):
    if not EvaluationPolicy.can(actor, "view"):
        raise Forbidden()
    qs = Evaluation.objects.restrict(actor)
    if not EvaluationPolicy.can(actor, "view_drafts"):
        qs = qs.filter(status=EvaluationStatus.PUBLISHED)
    return qs.select_related("survey").order_by("-year", "-quarter", "-revision")


def evaluation_detail(*, actor: Actor, evaluation_id: int) -> Evaluation:
    if not EvaluationPolicy.can(actor, "view"):
        raise Forbidden()
    return evaluation_get_for_actor(actor=actor, evaluation_id=evaluation_id)
