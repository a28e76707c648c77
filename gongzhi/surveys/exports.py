"""The .xlsx export of a survey's results (openpyxl): a summary sheet per question and a sheet of the responses.
An anonymous survey's export has no identities (no name, no house) and lists the responses in the order of their
random keys, not of arrival."""

import io

from django.utils.translation import gettext
from openpyxl import Workbook

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden

from .choices import QuestionKind
from .models import Answer
from .policies import SurveyPolicy
from .results import compute_results, survey_for_results


def _cell(value):
    return str(value) if value is not None and not isinstance(value, int | str) else value


def survey_workbook(*, actor: Actor, survey_id: int) -> tuple[bytes, str]:
    survey = survey_for_results(actor=actor, survey_id=survey_id)
    if not SurveyPolicy.can(actor, "export"):
        raise Forbidden()
    named = not survey.anonymous
    results = compute_results(survey, show_names=named)
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Summary")[:31]
    sheet.append([survey.title])
    sheet.append([gettext("Responses"), results["responses"], gettext("Audience"), results["audience_size"],
                  gettext("Response rate (%)"), _cell(results["response_rate"])])
    for q in results["questions"]:
        sheet.append([])
        sheet.append([f"{q['position']}. {q['text']}", q["kind"], gettext("Answers"), q["answered"]])
        for option in q.get("options", []):
            sheet.append(["", option["label"], option["count"], _cell(option["share"])])
        if "average" in q:
            sheet.append(["", gettext("Average"), _cell(q["average"])])
        if q["kind"] == QuestionKind.NPS:
            sheet.append(["", "NPS", _cell(q["nps"])])
    questions = results["questions"]
    rows = book.create_sheet(gettext("Responses")[:31])
    header = ([gettext("Name"), gettext("House")] if named else []) + [f"{q['position']}. {q['text']}"
                                                                         for q in questions]
    rows.append(header)
    options = {q["id"]: [o["label"] for o in q.get("options", [])] for q in questions}
    kinds = {q["id"]: q["kind"] for q in questions}
    position = {q["id"]: i for i, q in enumerate(questions)}
    current, line = None, None
    fields = ["response_id", "question_id", "value", "choices", "text"]
    if named:
        fields += ["response__respondent__name", "response__house__building__name", "response__house__number"]
    for row in Answer.objects.filter(response__survey=survey).order_by("response_id").values_list(*fields):
        response_id, question_id, value, choices, text = row[:5]
        if response_id != current:
            if line is not None:
                rows.append(line)
            current = response_id
            line = ([row[5], f"{row[6]}-{row[7]}" if row[7] else ""] if named else []) + [""] * len(questions)
        offset = (2 if named else 0) + position[question_id]
        kind = kinds[question_id]
        if kind == QuestionKind.TEXT:
            line[offset] = text
        elif kind == QuestionKind.SINGLE:
            line[offset] = options[question_id][value]
        elif kind == QuestionKind.MULTIPLE:
            line[offset] = "; ".join(options[question_id][i] for i in choices or [])
        else:
            line[offset] = value
    if line is not None:
        rows.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), f"survey-{survey.pk}.xlsx"
