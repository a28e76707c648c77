"""Demo data: the standard quarterly satisfaction template and its schedule, last quarter's survey answered by
about 40 % of the houses (bulk), the current quarter's open survey, the service contract's items and last
quarter's published evaluation. Fast: bulk inserts, a few dozen queries per estate."""

import datetime
import random
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from gongzhi.accounts.choices import COMMITTEE_ROLES
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.estate.choices import OWNER_KINDS
from gongzhi.estate.models import Residency

from . import audience as aud
from . import evaluation as ev
from .builder import copy_survey
from .choices import Audience, EvaluationStatus, QuestionKind, SurveyStatus, TicketMeasure
from .models import (
    Answer,
    ContractItem,
    Evaluation,
    Participation,
    Question,
    Response,
    Survey,
    SurveySchedule,
)
from .periods import previous_quarter, quarter_bounds, quarter_of
from .schedule import schedule_run

SHARE = 0.4


def standard_questions() -> list[tuple[str, str, str, bool]]:
    """(key, kind, text, required) of the standard satisfaction template."""
    return [
        ("service_attitude", QuestionKind.SCALE, gettext("How satisfied are you with the staff's service attitude?"),
         True),
        ("repair_speed", QuestionKind.SCALE, gettext("How satisfied are you with the speed of repairs?"), True),
        ("cleanliness", QuestionKind.SCALE, gettext("How satisfied are you with the cleanliness of the estate?"),
         True),
        ("security", QuestionKind.SCALE, gettext("How satisfied are you with security?"), True),
        ("greening", QuestionKind.SCALE, gettext("How satisfied are you with the greening?"), True),
        ("overall", QuestionKind.SCALE, gettext("Overall, how satisfied are you with the property service?"), True),
        ("nps", QuestionKind.NPS, gettext("How likely are you to recommend this property company to a friend?"),
         True),
        ("comments", QuestionKind.TEXT, gettext("Anything you would like to tell us?"), False),
    ]


def contract_items_spec() -> list[tuple]:
    """(name, weight, question key, ticket measure)"""
    return [
        (gettext("Cleaning"), 20, "cleanliness", ""),
        (gettext("Security"), 20, "security", ""),
        (gettext("Repairs"), 25, "repair_speed", TicketMeasure.SLA),
        (gettext("Greening"), 10, "greening", ""),
        (gettext("Customer service"), 15, "service_attitude", TicketMeasure.RATING),
        (gettext("Facilities"), 10, "overall", TicketMeasure.REOPEN),
    ]


COMMENTS = ["电梯维修很及时，点赞。", "垃圾分类点晚上有异味，希望多清理。", "保安态度很好。", "希望增加儿童游乐设施。",
            "停车管理有待加强。", "绿化修剪及时，小区很漂亮。"]


def _aware(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _template(estate) -> Survey:
    template = Survey.objects.create(estate=estate, title=gettext("Quarterly satisfaction survey"),
                                     intro=gettext("Tell the owners' committee and the property company how the "
                                                   "service was this quarter. Anonymous."),
                                     audience=Audience.OWNERS, anonymous=True, results_public=True, is_template=True)
    Question.objects.bulk_create([
        Question(estate=estate, survey=template, position=n, key=key, kind=kind, text=text, required=required)
        for n, (key, kind, text, required) in enumerate(standard_questions(), start=1)])
    return template


def _answers(rng: random.Random, questions: list[Question], response: Response) -> list[Answer]:
    rows = []
    mood = rng.choice([3, 4, 4, 4, 5, 5, 2])
    for q in questions:
        if q.kind == QuestionKind.SCALE:
            rows.append(Answer(estate_id=q.estate_id, response=response, question=q,
                               value=max(1, min(5, mood + rng.choice([-1, 0, 0, 0, 1])))))
        elif q.kind == QuestionKind.NPS:
            rows.append(Answer(estate_id=q.estate_id, response=response, question=q,
                               value=max(0, min(10, mood * 2 + rng.choice([-1, 0, 0, 1])))))
        elif q.kind == QuestionKind.TEXT and rng.random() < 0.15:
            rows.append(Answer(estate_id=q.estate_id, response=response, question=q, text=rng.choice(COMMENTS)))
    return rows


def _answer_last_quarter(survey: Survey, rng: random.Random, first: datetime.date) -> int:
    questions = list(survey.questions.all())
    houses = sorted(set(Residency.objects.current().filter(estate_id=survey.estate_id, kind__in=OWNER_KINDS)
                        .values_list("house_id", flat=True)))
    chosen = rng.sample(houses, int(len(houses) * SHARE))
    participations, responses, answers = [], [], []
    for house_id in chosen:
        at = _aware(first + datetime.timedelta(days=rng.randint(0, 25)), rng.randint(8, 21))
        participations.append(Participation(estate_id=survey.estate_id, survey=survey, unit_key=f"h{house_id}",
                                            house_id=house_id, at=at))
        response = Response(id=uuid.UUID(int=rng.getrandbits(128), version=4), estate_id=survey.estate_id,
                            survey=survey)
        responses.append(response)
        answers += _answers(rng, questions, response)
    Participation.objects.bulk_create(participations, batch_size=2000)
    Response.objects.bulk_create(responses, batch_size=2000)
    Answer.objects.bulk_create(answers, batch_size=5000)
    return len(chosen)


def _committee(estate) -> Actor | None:
    membership = (Membership.objects.filter(estate=estate, role__in=COMMITTEE_ROLES, ended_at__isnull=True)
                  .select_related("user").order_by("role", "pk").first())
    if membership is None:
        return None
    roles = frozenset(Membership.objects.filter(estate=estate, user=membership.user, ended_at__isnull=True)
                      .values_list("role", flat=True))
    return Actor(user=membership.user, estate=estate, roles=roles)


@transaction.atomic
def seed_surveys(estate, *, now: datetime.datetime | None = None, seed: int = 2026) -> dict:
    """Idempotent per estate: a second call finds the template and does nothing."""
    now = now or timezone.now()
    if Survey.objects.filter(estate=estate, is_template=True).exists():
        return {"created": False}
    rng = random.Random(seed + estate.pk)
    with translation.override(settings.LANGUAGE_CODE):
        template = _template(estate)
        schedule = SurveySchedule.objects.create(estate=estate, template=template, name=template.title,
                                                 open_days=30)
        year, quarter = previous_quarter(*quarter_of(timezone.localtime(now).date()))
        first, _last = quarter_bounds(year, quarter)
        last_survey = copy_survey(template, title=f"{template.title} · {year} Q{quarter}", schedule=schedule,
                                  period_start=first, opens_at=_aware(first),
                                  closes_at=_aware(first + datetime.timedelta(days=30)))
        answered = _answer_last_quarter(last_survey, rng, first)
        last_survey.status, last_survey.published_at = SurveyStatus.CLOSED, last_survey.opens_at
        last_survey.closed_at, last_survey.responses_count = last_survey.closes_at, answered
        last_survey.audience_size = aud.audience_size(last_survey)
        last_survey.save()
        current, _created = schedule_run(schedule=schedule, now=now)
        for n, (name, weight, key, measure) in enumerate(contract_items_spec(), start=1):
            ContractItem.objects.create(estate=estate, name=name, position=n, weight=weight, question_key=key,
                                        ticket_measure=measure)
        committee = _committee(estate)
        if committee is not None:
            evaluation = ev.evaluation_compute(actor=committee, year=year, quarter=quarter)
            ev.evaluation_comment(actor=committee, evaluation_id=evaluation.pk,
                                  comment=gettext("Cleaning and repairs improved; security patrols at night need "
                                                  "attention."))
            ev.evaluation_publish(actor=committee, evaluation_id=evaluation.pk)
        else:
            evaluation = Evaluation(estate=estate, year=year, quarter=quarter, status=EvaluationStatus.PUBLISHED,
                                    published_at=now)
            ev._fill(evaluation, ev.compute(estate, year, quarter))
    return {"created": True, "template": template.pk, "last_survey": last_survey.pk, "responses": answered,
            "current_survey": current.pk, "evaluation": evaluation.pk}
