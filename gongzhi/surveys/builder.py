"""The questionnaire builder: drafts, their questions and targeting, publication (freezes the questions and the
audience size, notifies the audience) and closing."""

import dataclasses
import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.estate.models import Building, House
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from . import audience as aud
from .choices import CHOICE_KINDS, Audience, QuestionKind, SurveyStatus, Target
from .errors import frozen, invalid, wrong_status
from .models import Question, Survey
from .policies import SurveyPolicy

TITLE_MAX, TEXT_MAX, OPTION_MAX, MAX_QUESTIONS, MAX_OPTIONS = 120, 300, 100, 50, 20
SURVEY_FIELDS = ("title", "intro", "status", "audience", "target", "anonymous", "results_public", "opens_at",
                 "closes_at")


@dataclasses.dataclass
class QuestionSpec:
    kind: str
    text: str
    required: bool = True
    options: list[str] = dataclasses.field(default_factory=list)
    max_choices: int | None = None
    key: str = ""


def _spec(raw) -> QuestionSpec:
    if isinstance(raw, QuestionSpec):
        return raw
    data = raw if isinstance(raw, dict) else raw.dict()
    return QuestionSpec(kind=data.get("kind", ""), text=data.get("text", ""), required=bool(data.get("required", True)),
                        options=list(data.get("options") or []), max_choices=data.get("max_choices"),
                        key=data.get("key") or "")


def _check_questions(specs: list[QuestionSpec]) -> None:
    if len(specs) > MAX_QUESTIONS:
        raise invalid("questions", _("at most %(max)s questions"), max=MAX_QUESTIONS)
    keys = set()
    for n, q in enumerate(specs, start=1):
        field = f"questions[{n}]"
        if q.kind not in QuestionKind.values:
            raise invalid(f"{field}.kind", _("is not one of the allowed values"))
        q.text = (q.text or "").strip()
        if not q.text:
            raise invalid(f"{field}.text", _("is required"))
        if len(q.text) > TEXT_MAX:
            raise invalid(f"{field}.text", _("is too long"))
        if q.kind in CHOICE_KINDS:
            q.options = [str(o).strip() for o in q.options]
            if len(q.options) < 2 or any(not o for o in q.options):
                raise invalid(f"{field}.options", _("give at least two non-empty options"))
            if len(q.options) > MAX_OPTIONS or any(len(o) > OPTION_MAX for o in q.options):
                raise invalid(f"{field}.options", _("too many or too long options"))
            if len(set(q.options)) != len(q.options):
                raise invalid(f"{field}.options", _("options must differ"))
        elif q.options:
            raise invalid(f"{field}.options", _("only choice questions have options"))
        if q.max_choices is not None:
            if q.kind != QuestionKind.MULTIPLE:
                raise invalid(f"{field}.max_choices", _("only multiple-choice questions have a maximum"))
            if not 1 <= q.max_choices <= len(q.options):
                raise invalid(f"{field}.max_choices", _("must be between 1 and the number of options"))
        if q.key:
            if q.key in keys:
                raise invalid(f"{field}.key", _("is used twice"))
            keys.add(q.key)


def _check_survey(estate, *, title, audience, target, opens_at, closes_at, building_ids, house_ids):
    title = (title or "").strip()
    if not title:
        raise invalid("title", _("is required"))
    if len(title) > TITLE_MAX:
        raise invalid("title", _("is too long"))
    if audience not in Audience.values:
        raise invalid("audience", _("is not one of the allowed values"))
    if target not in Target.values:
        raise invalid("target", _("is not one of the allowed values"))
    if opens_at and closes_at and closes_at <= opens_at:
        raise invalid("closes_at", _("must be after the opening time"))
    buildings, houses = [], []
    if target == Target.BUILDINGS:
        wanted = set(building_ids or ())
        buildings = list(Building.objects.for_estate(estate).filter(pk__in=wanted))
        if not wanted or len(buildings) != len(wanted):
            raise invalid("building_ids", _("choose one or more buildings of this estate"))
    elif target == Target.HOUSES:
        wanted = set(house_ids or ())
        houses = list(House.objects.for_estate(estate).filter(pk__in=wanted))
        if not wanted or len(houses) != len(wanted):
            raise invalid("house_ids", _("choose one or more houses of this estate"))
    return title, buildings, houses


def _aware(value):
    return timezone.make_aware(value) if value is not None and timezone.is_naive(value) else value


def _write_questions(survey: Survey, specs: list[QuestionSpec]) -> None:
    survey.questions.all().delete()
    Question.objects.bulk_create([
        Question(estate_id=survey.estate_id, survey=survey, position=n, kind=q.kind, text=q.text,
                 required=q.required, options=q.options, max_choices=q.max_choices, key=q.key)
        for n, q in enumerate(specs, start=1)])


def _check_actor(actor: Actor) -> None:
    if not SurveyPolicy.can(actor, "manage"):
        raise Forbidden()


def survey_get_for_actor(*, actor: Actor, survey_id: int, action: str = "view", lock: bool = False) -> Survey:
    qs = Survey.objects.restrict(actor, action)
    if lock:
        qs = qs.select_for_update()
    survey = qs.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound()
    return survey


@transaction.atomic
def survey_create(*, actor: Actor, title: str, intro: str = "", audience: str = Audience.OWNERS,
                  target: str = Target.ALL, building_ids: Iterable[int] = (), house_ids: Iterable[int] = (),
                  anonymous: bool = True, results_public: bool = False, is_template: bool = False,
                  opens_at: datetime.datetime | None = None, closes_at: datetime.datetime | None = None,
                  questions: Iterable = (), idempotency_key: str = "") -> Survey:
    """A draft. Retrying with the same ``idempotency_key`` returns the survey the first call made."""
    _check_actor(actor)
    if idempotency_key:
        existing = Survey.objects.for_estate(actor.estate).filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    opens_at, closes_at = _aware(opens_at), _aware(closes_at)
    title, buildings, houses = _check_survey(actor.estate, title=title, audience=audience, target=target,
                                             opens_at=opens_at, closes_at=closes_at, building_ids=building_ids,
                                             house_ids=house_ids)
    specs = [_spec(q) for q in questions]
    _check_questions(specs)
    survey = Survey(estate=actor.estate, title=title, intro=(intro or "").strip(), audience=audience, target=target,
                    anonymous=anonymous, results_public=results_public, is_template=is_template, opens_at=opens_at,
                    closes_at=closes_at, created_by=actor.user, idempotency_key=idempotency_key or "")
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:  # a concurrent retry with the same key won
        return Survey.objects.for_estate(actor.estate).get(idempotency_key=idempotency_key)
    survey.buildings.set(buildings)
    survey.houses.set(houses)
    _write_questions(survey, specs)
    audit(user=actor.user, estate=actor.estate, action="survey.create", obj=survey,
          after={**snapshot(survey, SURVEY_FIELDS), "questions": len(specs)})
    return survey


@transaction.atomic
def survey_update(*, actor: Actor, survey_id: int, title: str, intro: str = "", audience: str = Audience.OWNERS,
                  target: str = Target.ALL, building_ids: Iterable[int] = (), house_ids: Iterable[int] = (),
                  anonymous: bool = True, results_public: bool = False, opens_at=None, closes_at=None,
                  questions: Iterable = ()) -> Survey:
    """Replace a draft's settings and questions (in the order given). A published survey is frozen (409)."""
    _check_actor(actor)
    survey = survey_get_for_actor(actor=actor, survey_id=survey_id, action="manage", lock=True)
    if survey.status != SurveyStatus.DRAFT:
        raise frozen()
    opens_at, closes_at = _aware(opens_at), _aware(closes_at)
    title, buildings, houses = _check_survey(actor.estate, title=title, audience=audience, target=target,
                                             opens_at=opens_at, closes_at=closes_at, building_ids=building_ids,
                                             house_ids=house_ids)
    specs = [_spec(q) for q in questions]
    _check_questions(specs)
    before = snapshot(survey, SURVEY_FIELDS)
    survey.title, survey.intro, survey.audience, survey.target = title, (intro or "").strip(), audience, target
    survey.anonymous, survey.results_public, survey.opens_at, survey.closes_at = (anonymous, results_public,
                                                                                 opens_at, closes_at)
    survey.save()
    survey.buildings.set(buildings)
    survey.houses.set(houses)
    _write_questions(survey, specs)
    audit(user=actor.user, estate=actor.estate, action="survey.update", obj=survey, before=before,
          after={**snapshot(survey, SURVEY_FIELDS), "questions": len(specs)})
    return survey


def _publish(survey: Survey, *, user, now: datetime.datetime) -> None:
    before = snapshot(survey, SURVEY_FIELDS)
    survey.status, survey.published_at = SurveyStatus.PUBLISHED, now
    if survey.opens_at is None:
        survey.opens_at = now
    survey.audience_size = aud.audience_size(survey)
    survey.save(update_fields=["status", "published_at", "opens_at", "audience_size"])
    audit(user=user, estate=survey.estate, action="survey.publish", obj=survey, before=before,
          after={**snapshot(survey, SURVEY_FIELDS), "audience_size": survey.audience_size})
    survey_id, estate = survey.pk, survey.estate
    transaction.on_commit(lambda: notify_published(survey_id=survey_id, estate=estate))


def notify_published(*, survey_id: int, estate) -> int:
    survey = Survey.objects.get(pk=survey_id)
    url = reverse("surveys:answer", args=[survey.estate_id, survey.pk])
    sent, users = 0, list(aud.recipients(survey))
    for start in range(0, len(users), 1000):
        sent += len(notify(estate=estate, users=users[start:start + 1000], kind=NotificationKind.SURVEY,
                           title=_("New survey: %(title)s"), body=_("Please take a few minutes to answer."),
                           url=url, params={"title": survey.title}))
    return sent


@transaction.atomic
def survey_publish(*, actor: Actor, survey_id: int) -> Survey:
    """Freeze the questions and the audience size and notify the audience (kind SURVEY). Publishing a published
    survey again changes nothing (a retry); a closed one or a template answers 409."""
    _check_actor(actor)
    survey = survey_get_for_actor(actor=actor, survey_id=survey_id, action="manage", lock=True)
    if survey.status == SurveyStatus.PUBLISHED:
        return survey
    if survey.status != SurveyStatus.DRAFT or survey.is_template:
        raise wrong_status(survey.get_status_display() if not survey.is_template else str(_("a template")))
    if not survey.questions.exists():
        raise invalid("questions", _("add at least one question before publishing"))
    now = timezone.now()
    if survey.closes_at is not None and survey.closes_at <= now:
        raise invalid("closes_at", _("must be in the future to publish"))
    _publish(survey, user=actor.user, now=now)
    return survey


def _close(survey: Survey, *, user, now) -> None:
    before = snapshot(survey, SURVEY_FIELDS)
    survey.status, survey.closed_at = SurveyStatus.CLOSED, now
    survey.save(update_fields=["status", "closed_at"])
    audit(user=user, estate=survey.estate, action="survey.close", obj=survey, before=before,
          after=snapshot(survey, SURVEY_FIELDS))


@transaction.atomic
def survey_close(*, actor: Actor, survey_id: int) -> Survey:
    """Stop answers now. Closing a closed survey again changes nothing."""
    _check_actor(actor)
    survey = survey_get_for_actor(actor=actor, survey_id=survey_id, action="manage", lock=True)
    if survey.status == SurveyStatus.CLOSED:
        return survey
    if survey.status != SurveyStatus.PUBLISHED:
        raise wrong_status(survey.get_status_display())
    _close(survey, user=actor.user, now=timezone.now())
    return survey


def surveys_close_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every published survey past its closing time (the periodic task, as the system)."""
    now = now or timezone.now()
    closed = []
    for survey_id in Survey.objects.filter(status=SurveyStatus.PUBLISHED, closes_at__lte=now).values_list("pk",
                                                                                                          flat=True):
        with transaction.atomic():
            survey = Survey.objects.select_for_update().select_related("estate").get(pk=survey_id)
            if survey.status == SurveyStatus.PUBLISHED:
                _close(survey, user=None, now=now)
                closed.append(survey_id)
    return closed


def copy_survey(template: Survey, *, title: str, user=None, **fields) -> Survey:
    """A draft copy of ``template`` (settings, targeting and questions with their keys); no audit (callers do)."""
    survey = Survey.objects.create(
        estate_id=template.estate_id, title=title, intro=template.intro, audience=template.audience,
        target=template.target, anonymous=template.anonymous, results_public=template.results_public,
        created_by=user, **fields)
    survey.buildings.set(template.buildings.all())
    survey.houses.set(template.houses.all())
    Question.objects.bulk_create([
        Question(estate_id=survey.estate_id, survey=survey, position=q.position, key=q.key, kind=q.kind, text=q.text,
                 required=q.required, options=q.options, max_choices=q.max_choices)
        for q in template.questions.all()])
    return survey
