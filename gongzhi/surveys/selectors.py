"""Reads: the staff's survey list, a resident's surveys (to answer, answered, with public results)."""

from django.db.models import QuerySet

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden

from .audience import my_survey_houses
from .choices import Audience, SurveyStatus, Target
from .models import Participation, Survey
from .policies import SurveyPolicy

MINE_LIMIT = 50


def survey_list(*, actor: Actor, status: str | None = None, templates: bool = False) -> QuerySet:
    if not SurveyPolicy.can(actor, "manage"):
        raise Forbidden()
    qs = Survey.objects.restrict(actor, "manage").filter(is_template=templates)
    if status:
        qs = qs.filter(status=status)
    return qs


def _eligible(survey: Survey, houses: dict, building_ids: set, house_ids: set) -> list[int]:
    out = []
    for house_id, info in houses.items():
        if survey.audience == Audience.OWNERS and not info["owner"]:
            continue
        if survey.target == Target.BUILDINGS and info["building_id"] not in building_ids:
            continue
        if survey.target == Target.HOUSES and house_id not in house_ids:
            continue
        out.append(house_id)
    return sorted(out)


def my_surveys(*, actor: Actor) -> list[dict]:
    """The published and closed surveys that ask the actor, newest first, each with whether the actor can still
    answer and whether its results are public. Five queries whatever the number of surveys."""
    if not SurveyPolicy.can(actor, "answer"):
        raise Forbidden()
    houses = my_survey_houses(estate=actor.estate, user=actor.user)
    if not houses:
        return []
    surveys = list(Survey.objects.for_estate(actor.estate).filter(is_template=False, status__in=[
        SurveyStatus.PUBLISHED, SurveyStatus.CLOSED]).order_by("-opens_at", "-pk")
        .prefetch_related("buildings", "houses")[:MINE_LIMIT])
    keys = [f"u{actor.user.pk}"] + [f"h{h}" for h in houses]
    done = set(Participation.objects.filter(survey__in=[s.pk for s in surveys], unit_key__in=keys)
               .values_list("survey_id", "unit_key"))
    rows = []
    for survey in surveys:
        eligible = _eligible(survey, houses, {b.pk for b in survey.buildings.all()},
                             {h.pk for h in survey.houses.all()})
        if not eligible:
            continue
        if survey.audience == Audience.OWNERS:
            pending = [h for h in eligible if (survey.pk, f"h{h}") not in done]
        else:
            pending = [] if (survey.pk, f"u{actor.user.pk}") in done else eligible[:1]
        rows.append({"survey": survey, "houses": eligible, "pending_houses": pending,
                     "can_answer": bool(pending) and survey.is_open, "answered": len(pending) < (
                         len(eligible) if survey.audience == Audience.OWNERS else 1),
                     "results_public": survey.results_public})
    return rows
