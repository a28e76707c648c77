"""Answering a survey (residents, the portal).

One answer per house for owners' surveys (the house's owners answer once for it, whichever of them), one per
person for surveys of all residents (a person living in two targeted houses answers once): a second answer is 409
``already_answered``. A survey is invisible (404) to a resident with no house in its target; naming a house of
one's own that is outside the target is 403 ``house_not_targeted`` (docs/governance/surveys.md).

Anonymity: the ``Participation`` row (who, which house, when) and the ``Response`` row (the answers) share no id
and no timestamp; an anonymous response has no user and no house (models module docstring)."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Forbidden, NotFound

from . import audience as aud
from .choices import RANGES, Audience, QuestionKind, SurveyStatus
from .errors import already_answered, answer_invalid, not_open, not_targeted
from .models import Answer, Participation, Question, Response, Survey
from .policies import SurveyPolicy

TEXT_ANSWER_MAX = 2000


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_answer(question: Question, raw: Any) -> Answer | None:
    """One answer checked against its question; None when left empty (allowed only when not required)."""
    n = question.position
    empty = raw is None or raw == "" or raw == []
    if empty:
        if question.required:
            raise answer_invalid(n, _("an answer is required"))
        return None
    kind = question.kind
    if kind == QuestionKind.TEXT:
        text = str(raw).strip()
        if not text:
            if question.required:
                raise answer_invalid(n, _("an answer is required"))
            return None
        if len(text) > TEXT_ANSWER_MAX:
            raise answer_invalid(n, _("at most %(max)s characters"), max=TEXT_ANSWER_MAX)
        return Answer(question=question, text=text)
    if kind == QuestionKind.MULTIPLE:
        picks = raw if isinstance(raw, list | tuple) else [raw]
        if not all(_is_int(p) for p in picks) or any(not 0 <= p < len(question.options) for p in picks):
            raise answer_invalid(n, _("choose among the question's options"))
        if len(set(picks)) != len(picks):
            raise answer_invalid(n, _("each option at most once"))
        if question.max_choices and len(picks) > question.max_choices:
            raise answer_invalid(n, _("choose at most %(max)s options"), max=question.max_choices)
        return Answer(question=question, choices=sorted(picks))
    if not _is_int(raw):
        raise answer_invalid(n, _("must be a whole number"))
    if kind == QuestionKind.SINGLE:
        if not 0 <= raw < len(question.options):
            raise answer_invalid(n, _("choose one of the question's options"))
    else:
        low, high = RANGES[kind]
        if not low <= raw <= high:
            raise answer_invalid(n, _("must be between %(low)s and %(high)s"), low=low, high=high)
    return Answer(question=question, value=raw)


def survey_for_resident(*, actor: Actor, survey_id: int) -> tuple[Survey, list[int]]:
    """The published or closed survey and the targeted houses the actor may answer for; 404 when it does not ask
    the actor at all (not targeted, a draft, another estate)."""
    survey = Survey.objects.restrict(actor, "answer").filter(pk=survey_id, is_template=False).first()
    if survey is None or survey.status == SurveyStatus.DRAFT:
        raise NotFound()
    houses = aud.my_houses(survey, actor.user)
    if not houses and not SurveyPolicy.can(actor, "manage"):
        raise NotFound()
    return survey, houses


def answered_units(survey: Survey, user, houses: list[int]) -> set[str]:
    keys = [f"u{user.pk}"] + [f"h{h}" for h in houses]
    return set(Participation.objects.filter(survey=survey, unit_key__in=keys).values_list("unit_key", flat=True))


def pending_house(survey: Survey, user, houses: list[int]) -> int | bool | None:
    """For an owners' survey: the first of the houses not yet answered (None when all are); for a survey of all
    residents: True when the person has not answered yet, else None."""
    done = answered_units(survey, user, houses)
    if survey.audience == Audience.OWNERS:
        return next((h for h in houses if f"h{h}" not in done), None)
    return None if f"u{user.pk}" in done else True


@transaction.atomic
def response_submit(*, actor: Actor, survey_id: int, answers: Mapping[int, Any],
                    house_id: int | None = None) -> Response:
    """Record the actor's answers. ``answers`` maps question ids to the raw answer: an option index (single
    choice), a list of option indexes (multiple choice), an integer (scale 1-5, NPS 0-10) or text."""
    if not SurveyPolicy.can(actor, "answer"):
        raise Forbidden()
    survey, houses = survey_for_resident(actor=actor, survey_id=survey_id)
    if not houses:
        raise not_targeted()
    if not survey.is_open:
        raise not_open()
    if house_id is not None:
        if house_id not in houses:
            raise not_targeted()
        house = house_id
    elif survey.audience == Audience.OWNERS:
        house = pending_house(survey, actor.user, houses)
        if house is None:
            raise already_answered()
    else:
        house = houses[0]
    questions = list(survey.questions.all())
    known = {q.pk for q in questions}
    unknown = [k for k in answers if int(k) not in known]
    if unknown:
        raise answer_invalid(0, _("question %(id)s is not in this survey"), id=unknown[0])
    given = {int(k): v for k, v in answers.items()}
    rows = [a for a in (clean_answer(q, given.get(q.pk)) for q in questions) if a is not None]
    if not rows:
        raise answer_invalid(1, _("answer at least one question"))
    unit = f"h{house}" if survey.audience == Audience.OWNERS else f"u{actor.user.pk}"
    try:
        with transaction.atomic():
            Participation.objects.create(estate_id=survey.estate_id, survey=survey, unit_key=unit, house_id=house,
                                         user=actor.user)
    except IntegrityError:
        raise already_answered() from None
    named = not survey.anonymous
    response = Response.objects.create(estate_id=survey.estate_id, survey=survey,
                                       respondent=actor.user if named else None, house_id=house if named else None)
    for row in rows:
        row.estate_id, row.response = survey.estate_id, response
    Answer.objects.bulk_create(rows)
    Survey.objects.filter(pk=survey.pk).update(responses_count=F("responses_count") + 1)
    # The audit names the participation, never the response of an anonymous survey.
    audit(user=actor.user, estate=actor.estate, action="survey.answer", obj=survey,
          after={"house_id": house, "unit": unit, **({"response_id": str(response.pk)} if named else {})})
    return response
