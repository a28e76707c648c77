"""Survey pages: the staff's list and builder (manager, customer service, owners' committee), results with inline
SVG bars and the .xlsx download; the resident's surveys and the answer form (portal, mobile-first).

Views only shape input and call services and reads; the rules and the error texts are theirs."""

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.models import Building
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import PORTAL, base_for

from .. import builder, exports, responses, results, schedule, selectors
from ..choices import Audience, QuestionKind, Recurrence, SurveyStatus, Target
from ..policies import SurveyPolicy

BLANK_ROWS = 3
MAX_ROWS = 50


def _staff(request):
    if not SurveyPolicy.can(request.actor, "manage"):
        raise Forbidden()
    return request.actor


@estate_page
def survey_list(request):
    """The estate's surveys, its templates, and the schedules that publish a copy of a template every period (a
    new schedule is created here: POST with the template, the name, the recurrence and the days it stays open; a
    schedule is paused or resumed with ``action=pause|resume`` and its ``schedule_id``)."""
    actor = _staff(request)
    status, error = 200, None
    if request.method == "POST" and request.POST.get("action") in {"pause", "resume"}:
        active = request.POST["action"] == "resume"
        found = schedule.schedule_set_active(actor=actor, schedule_id=request.POST.get("schedule_id", ""),
                                             active=active)
        messages.success(request, (gettext("Resumed: %(name)s publishes again from the current period.") if active
                                   else gettext("Paused: %(name)s publishes nothing until it is resumed.")) % {
            "name": found.name})
        return redirect("surveys:list", estate_id=actor.estate.pk)
    if request.method == "POST":
        try:
            schedule.schedule_create(
                actor=actor, template_id=int(request.POST.get("template_id") or 0),
                name=request.POST.get("name", ""), recurrence=request.POST.get("recurrence", ""),
                open_days=int(request.POST.get("open_days") or 0))
        except (DomainError, ValueError) as exc:
            if isinstance(exc, DomainError) and exc.status not in (400, 404):
                raise
            status = 400
            error = exc.text() if isinstance(exc, DomainError) else gettext("Enter whole numbers.")
        else:
            messages.success(request, gettext("Scheduled: a copy of the template is published every period."))
            return redirect("surveys:list", estate_id=actor.estate.pk)
    surveys = list(selectors.survey_list(actor=actor).order_by("-created_at", "-pk")[:200])
    templates = list(selectors.survey_list(actor=actor, templates=True).order_by("title"))
    schedules = list(schedule.schedule_list(actor=actor))
    return render_page(request, "surveys/list.html", {
        "base": base_for(actor), "surveys": surveys, "templates": templates, "schedules": schedules,
        "recurrences": Recurrence.choices, "schedule_error": error, "posted": request.POST}, status=status)


def _int_list(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _when(value):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise DomainError(gettext("%(field)s: %(reason)s") % {"field": "opens_at/closes_at",
                                                              "reason": gettext("is not a valid date and time")},
                          code="invalid_field")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _questions_from_post(post) -> list[dict]:
    rows = []
    for i in range(MAX_ROWS):
        text = (post.get(f"q-{i}-text") or "").strip()
        if not text:
            continue
        options = [line.strip() for line in (post.get(f"q-{i}-options") or "").splitlines() if line.strip()]
        max_choices = post.get(f"q-{i}-max") or ""
        rows.append({"kind": post.get(f"q-{i}-kind", ""), "text": text, "options": options,
                     "required": bool(post.get(f"q-{i}-required")), "key": (post.get(f"q-{i}-key") or "").strip(),
                     "max_choices": int(max_choices) if max_choices.isdigit() else None,
                     "order": (int(order) if (order := post.get(f"q-{i}-order") or "").isdigit() else i + 1, i)})
    rows.sort(key=lambda r: r.pop("order"))
    return rows


def _settings_from_post(post) -> dict:
    return {"title": post.get("title", ""), "intro": post.get("intro", ""),
            "audience": post.get("audience", Audience.OWNERS), "target": post.get("target", Target.ALL),
            "building_ids": _int_list(post.getlist("building_ids")),
            "house_ids": _int_list((post.get("house_ids") or "").replace(",", " ").split()),
            "anonymous": bool(post.get("anonymous")), "results_public": bool(post.get("results_public")),
            "opens_at": _when(post.get("opens_at")), "closes_at": _when(post.get("closes_at")),
            "questions": _questions_from_post(post)}


def _editor_context(actor, survey=None, data=None) -> dict:
    if data is not None:
        questions = data["questions"]
    elif survey is not None:
        questions = [{"kind": q.kind, "text": q.text, "options": q.options, "required": q.required, "key": q.key,
                      "max_choices": q.max_choices} for q in survey.questions.all()]
    else:
        questions = []
    rows = [{**q, "options_text": "\n".join(q.get("options") or [])} for q in questions]
    rows += [{"kind": QuestionKind.SCALE, "text": "", "options_text": "", "required": True, "key": "",
              "max_choices": None} for _ in range(BLANK_ROWS)]
    for i, row in enumerate(rows):
        row["i"], row["order"] = i, i + 1
    return {"base": base_for(actor), "survey": survey, "rows": rows, "data": data,
            "kinds": QuestionKind.choices, "audiences": Audience.choices, "targets": Target.choices,
            "buildings": list(Building.objects.for_estate(actor.estate).order_by("sort_key", "name")),
            "selected_buildings": set((data or {}).get("building_ids") or (
                [b.pk for b in survey.buildings.all()] if survey else [])),
            "house_ids_text": " ".join(str(h) for h in ((data or {}).get("house_ids") or (
                [h.pk for h in survey.houses.all()] if survey else [])))}


@estate_page
def survey_new(request):
    actor = _staff(request)
    if request.method == "POST":
        try:
            data = _settings_from_post(request.POST)
            survey = builder.survey_create(actor=actor, is_template=bool(request.POST.get("is_template")),
                                           idempotency_key=request.POST.get("idempotency_key", "")[:64], **data)
        except DomainError as error:
            context = _editor_context(actor, data=locals().get("data"))
            return render_page(request, "surveys/edit.html", {**context, "error": error}, status=error.status)
        messages.success(request, gettext("Draft saved."))
        return redirect("surveys:detail", actor.estate.pk, survey.pk)
    return render_page(request, "surveys/edit.html", {**_editor_context(actor), "idempotency_key": uuid.uuid4().hex})


@estate_page
def survey_detail(request, survey_id: int):
    actor = _staff(request)
    survey = builder.survey_get_for_actor(actor=actor, survey_id=survey_id)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "publish":
                builder.survey_publish(actor=actor, survey_id=survey.pk)
                messages.success(request, gettext("Published: the audience has been notified."))
            elif action == "close":
                builder.survey_close(actor=actor, survey_id=survey.pk)
                messages.success(request, gettext("Closed."))
            else:
                data = _settings_from_post(request.POST)
                builder.survey_update(actor=actor, survey_id=survey.pk, **data)
                messages.success(request, gettext("Draft saved."))
        except DomainError as error:
            context = _editor_context(actor, survey, data=locals().get("data"))
            return render_page(request, "surveys/edit.html", {**context, "error": error}, status=error.status)
        return redirect("surveys:detail", actor.estate.pk, survey.pk)
    return render_page(request, "surveys/edit.html", _editor_context(actor, survey))


@estate_page
def survey_results(request, survey_id: int):
    actor = request.actor
    data = results.survey_results(actor=actor, survey_id=survey_id)
    staff = SurveyPolicy.can(actor, "manage")
    return render_page(request, "surveys/results.html", {**data, "base": base_for(actor) if staff else PORTAL,
                                                         "can_export": SurveyPolicy.can(actor, "export")})


@estate_page
def survey_export(request, survey_id: int):
    content, name = exports.survey_workbook(actor=request.actor, survey_id=survey_id)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@estate_page
def my_surveys(request):
    rows = selectors.my_surveys(actor=request.actor)
    return render_page(request, "surveys/mine.html", {"base": PORTAL, "rows": rows})


def _answers_from_post(post, questions) -> dict:
    answers = {}
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            answers[q.pk] = [int(v) for v in post.getlist(name) if v.lstrip("-").isdigit()]
        elif q.kind == QuestionKind.TEXT:
            answers[q.pk] = post.get(name, "")
        else:
            value = post.get(name, "")
            answers[q.pk] = int(value) if value.lstrip("-").isdigit() else (value or None)
    return answers


@estate_page
def survey_answer(request, survey_id: int):
    actor = request.actor
    survey, houses = responses.survey_for_resident(actor=actor, survey_id=survey_id)
    questions = list(survey.questions.all())
    error, given = None, {}
    if request.method == "POST":
        given = _answers_from_post(request.POST, questions)
        house = request.POST.get("house_id", "")
        try:
            responses.response_submit(actor=actor, survey_id=survey.pk, answers=given,
                                      house_id=int(house) if house.isdigit() else None)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, gettext("Thank you: your answers have been recorded."))
            return redirect("surveys:mine", actor.estate.pk)
    pending = responses.pending_house(survey, actor.user, houses) if houses else None
    house_labels = {}
    if survey.audience == Audience.OWNERS and len(houses) > 1:
        from gongzhi.estate.models import House

        house_labels = {h.pk: h.code for h in House.objects.filter(pk__in=houses).select_related("building",
                                                                                                  "unit")}
    rows = []
    for q in questions:
        value = given.get(q.pk)
        rows.append({"q": q, "value": value, "values": value if isinstance(value, list) else [],
                     "range": list(range(1, 6)) if q.kind == QuestionKind.SCALE else list(range(0, 11))})
    return render_page(request, "surveys/answer.html", {
        "base": PORTAL, "survey": survey, "rows": rows, "error": error, "can_answer": bool(pending) and survey.is_open,
        "closed": survey.status == SurveyStatus.CLOSED or not survey.is_open, "house_labels": house_labels,
        "pending": pending}, status=error.status if error else 200)


urlpatterns = [
    path("surveys/", survey_list, name="list"),
    path("surveys/new/", survey_new, name="new"),
    path("surveys/<int:survey_id>/", survey_detail, name="detail"),
    path("surveys/<int:survey_id>/results/", survey_results, name="results"),
    path("surveys/<int:survey_id>/export/", survey_export, name="export"),
    path("my/surveys/", my_surveys, name="mine"),
    path("my/surveys/<int:survey_id>/", survey_answer, name="answer"),
]
