"""Evaluation pages: the quarters (list, and computing a quarter's draft), one evaluation (the owners' page: scores
with bars, the formula and its inputs, the survey's response rate; the committee's editor while a draft), and the
service contract's items (the committee)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.core.errors import DomainError
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import base_for
from gongzhi.tickets.models import Category

from .. import evaluation as svc
from ..choices import EvaluationStatus, TicketMeasure
from ..periods import previous_quarter, quarter_of
from ..policies import EvaluationPolicy

BAR_WIDTH = 200


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@estate_page
def evaluation_list(request):
    actor = request.actor
    evaluations = list(svc.evaluation_list(actor=actor))
    can_write = EvaluationPolicy.can(actor, "write")
    if request.method == "POST" and can_write:
        try:
            evaluation = svc.evaluation_compute(actor=actor, year=_int(request.POST.get("year")),
                                                quarter=_int(request.POST.get("quarter")))
        except DomainError as error:
            messages.error(request, error.text())
            return redirect("surveys:evaluations", actor.estate.pk)
        return redirect("surveys:evaluation", actor.estate.pk, evaluation.pk)
    for e in evaluations:
        e.bar = int((e.score or 0) * BAR_WIDTH / 100)
    default = previous_quarter(*quarter_of(timezone.localdate()))
    return render_page(request, "surveys/evaluations.html", {
        "base": base_for(actor), "evaluations": evaluations, "can_write": can_write, "default_year": default[0],
        "default_quarter": default[1], "bar_width": BAR_WIDTH})


@estate_page
def evaluation_detail(request, evaluation_id: int):
    actor = request.actor
    evaluation = svc.evaluation_detail(actor=actor, evaluation_id=evaluation_id)
    can_write = EvaluationPolicy.can(actor, "write")
    if request.method == "POST" and can_write:
        action = request.POST.get("action")
        try:
            if action == "recompute":
                evaluation = svc.evaluation_compute(actor=actor, year=evaluation.year, quarter=evaluation.quarter)
            elif action == "publish":
                svc.evaluation_publish(actor=actor, evaluation_id=evaluation.pk)
                messages.success(request, gettext("Published: the owners have been sent a notice."))
            elif action == "correct":
                evaluation = svc.evaluation_correct(actor=actor, evaluation_id=evaluation.pk)
            else:
                items = {item.pk: request.POST.get(f"item-{item.pk}", "") for item in evaluation.items.all()}
                svc.evaluation_comment(actor=actor, evaluation_id=evaluation.pk,
                                       comment=request.POST.get("comment", ""), item_comments=items)
                messages.success(request, gettext("Comments saved."))
        except DomainError as error:
            messages.error(request, error.text())
        return redirect("surveys:evaluation", actor.estate.pk, evaluation.pk)
    items = list(evaluation.items.all())
    for item in items:
        item.bar = int((item.score or 0) * BAR_WIDTH / 100)
    return render_page(request, "surveys/evaluation.html", {
        "base": base_for(actor), "evaluation": evaluation, "items": items, "bar_width": BAR_WIDTH,
        "overall_bar": int((evaluation.score or 0) * BAR_WIDTH / 100),
        "editable": can_write and evaluation.status == EvaluationStatus.DRAFT,
        "can_correct": can_write and evaluation.status == EvaluationStatus.PUBLISHED,
        "survey_info": (evaluation.inputs or {}).get("survey")})


@estate_page
def contract_items(request):
    actor = request.actor
    items = list(svc.contract_items(actor=actor))
    can_write = EvaluationPolicy.can(actor, "write")
    if request.method == "POST" and can_write:
        post = request.POST
        try:
            svc.contract_item_save(
                actor=actor, item_id=_int(post.get("item_id"), None) if post.get("item_id") else None,
                name=post.get("name", ""), weight=_int(post.get("weight"), 1), position=_int(post.get("position")),
                question_key=post.get("question_key", ""), survey_weight=_int(post.get("survey_weight"), 1),
                ticket_measure=post.get("ticket_measure", ""),
                ticket_category_id=_int(post.get("ticket_category_id"), None) if post.get("ticket_category_id")
                else None, ticket_weight=_int(post.get("ticket_weight"), 1), active=bool(post.get("active")))
            messages.success(request, gettext("Saved."))
        except DomainError as error:
            messages.error(request, error.text())
        return redirect("surveys:contract_items", actor.estate.pk)
    # ?edit=<id> fills the form with that item, to change it (renaming included: the form carries its id)
    editing = next((i for i in items if str(i.pk) == request.GET.get("edit")), None) if can_write else None
    return render_page(request, "surveys/contract_items.html", {
        "base": base_for(actor), "items": items, "can_write": can_write, "measures": TicketMeasure.choices,
        "editing": editing,
        "categories": list(Category.objects.for_estate(actor.estate).order_by("name")) if can_write else []})


urlpatterns = [
    path("evaluations/", evaluation_list, name="evaluations"),
    path("evaluations/<int:evaluation_id>/", evaluation_detail, name="evaluation"),
    path("evaluations/contract-items/", contract_items, name="contract_items"),
]
