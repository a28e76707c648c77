"""A survey's results: per question the counts and shares, scale averages (exact), NPS (promoters − detractors,
as a percentage of those who answered it), the free-text answers, and the response rate against the audience
frozen at publication. Two queries: the questions and the answers."""

from collections import Counter
from fractions import Fraction
from typing import Any

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden, NotFound

from .choices import RANGES, QuestionKind, SurveyStatus
from .exact import percent, to_decimal
from .models import Answer, Survey
from .policies import SurveyPolicy

BAR_WIDTH = 240


def can_see_results(actor: Actor, survey: Survey) -> bool:
    if SurveyPolicy.can(actor, "results"):
        return True
    return (survey.results_public and survey.status != SurveyStatus.DRAFT and not survey.is_template
            and SurveyPolicy.can(actor, "public_results"))


def survey_for_results(*, actor: Actor, survey_id: int) -> Survey:
    survey = Survey.objects.restrict(actor).filter(pk=survey_id).first()
    if survey is None:
        raise NotFound()
    if not can_see_results(actor, survey):
        raise Forbidden()
    return survey


def nps_of(counts: Counter) -> dict[str, Any]:
    """Net promoter score: promoters answer 9-10, detractors 0-6; NPS = (promoters − detractors) / answers × 100."""
    n = sum(counts.values())
    promoters = counts[9] + counts[10]
    detractors = sum(counts[v] for v in range(0, 7))
    return {"promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors,
            "nps": None if not n else to_decimal(Fraction((promoters - detractors) * 100, n), 1)}


def _bars(rows: list[dict]) -> list[dict]:
    for i, row in enumerate(rows):
        share = row["share"] or 0
        row["width"] = int(share * BAR_WIDTH / 100)
        row["y"] = i * 24
    return rows


def question_result(question, rows: list, *, show_names: bool) -> dict[str, Any]:
    answered = len(rows)
    out: dict[str, Any] = {"id": question.pk, "position": question.position, "key": question.key,
                           "kind": question.kind, "text": question.text, "answered": answered}
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        counts: Counter = Counter()
        for value, choices, _text, _name in rows:
            counts.update(choices if question.kind == QuestionKind.MULTIPLE else [value])
        out["options"] = _bars([{"label": label, "count": counts[i], "share": percent(counts[i], answered)}
                                for i, label in enumerate(question.options)])
    elif question.kind in RANGES:
        low, high = RANGES[question.kind]
        counts = Counter(value for value, *_rest in rows)
        total = sum(v * c for v, c in counts.items())
        out["options"] = _bars([{"label": str(v), "count": counts[v], "share": percent(counts[v], answered)}
                                for v in range(low, high + 1)])
        out["average"] = to_decimal(Fraction(total, answered), 2) if answered else None
        if question.kind == QuestionKind.NPS:
            out.update(nps_of(counts))
    else:
        out["texts"] = [{"text": text, "name": name if show_names else None} for _v, _c, text, name in rows]
    out["chart_height"] = len(out.get("options", [])) * 24
    return out


def survey_results(*, actor: Actor, survey_id: int) -> dict[str, Any]:
    survey = survey_for_results(actor=actor, survey_id=survey_id)
    return compute_results(survey, show_names=SurveyPolicy.sees_names(actor) and not survey.anonymous)


def compute_results(survey: Survey, *, show_names: bool = False) -> dict[str, Any]:
    questions = list(survey.questions.all())
    by_question: dict[int, list] = {q.pk: [] for q in questions}
    fields = ["question_id", "value", "choices", "text"]
    fields.append("response__respondent__name" if show_names else "question_id")
    # Ordered by the response's random key: the order of arrival is not shown (anonymity).
    for question_id, value, choices, text, name in (Answer.objects.filter(response__survey=survey)
                                                    .order_by("response_id", "question__position")
                                                    .values_list(*fields)):
        by_question[question_id].append((value, choices or [], text, name if show_names else None))
    responses = survey.responses_count
    return {
        "survey": survey,
        "responses": responses,
        "audience_size": survey.audience_size,
        "response_rate": percent(responses, survey.audience_size or 0),
        "questions": [question_result(q, by_question[q.pk], show_names=show_names) for q in questions],
        "bar_width": BAR_WIDTH,
    }
