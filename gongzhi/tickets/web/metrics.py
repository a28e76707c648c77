"""The staff console's ticket metrics page and its .xlsx export (gongzhi.tickets.metrics says what counts where).

The desk (managers, dispatchers, customer service) sees everything; the owners' committee the estate's aggregates
(overall and by category) and an export without the figures by technician or the tickets; anyone else 403.
"""

import datetime

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import page_context

from .. import metrics
from ..metrics import MetricsPolicy, Period


class PeriodForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, as the API takes them (``from`` is a Python keyword, hence __init__)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date)


def duration_label(minutes: int | None) -> str:
    """Whole minutes for people: 12 min, 5 h 5 min, 2 d 3 h."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return _t("%(minutes)s min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return _t("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    days, hours = divmod(hours, 24)
    return _t("%(days)s d %(hours)s h") % {"days": days, "hours": hours}


def _display(figures: dict) -> dict:
    return {**figures, **{f"{key}_label": duration_label(figures[key]) for key in (
        "response_median_minutes", "response_p90_minutes", "resolution_median_minutes", "resolution_p90_minutes")}}


def _query(period: Period) -> str:
    return f"from={period.first.isoformat()}&to={period.last.isoformat()}"


def _presets(today: datetime.date) -> list[dict]:
    this_month = Period.of(today=today)
    last_month = metrics.previous_month(this_month)
    last_30 = Period(today - datetime.timedelta(days=29), today)
    return [{"label": _("This month"), "query": _query(this_month)},
            {"label": _("Last month"), "query": _query(last_month)},
            {"label": _("Last 30 days"), "query": _query(last_30)}]


def _actor(request):
    actor = request.actor
    if not MetricsPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


def _period_from(request) -> tuple[PeriodForm, Period | None, str | None]:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None, None
    try:
        return form, Period.of(form.cleaned_data["from"], form.cleaned_data["to"]), None
    except DomainError as error:
        return form, None, error.text()


@estate_page
def metrics_page(request):
    """The period picker, the overall cards, the tables by category and (desk) by technician with bars."""
    actor = _actor(request)
    form, period, error = _period_from(request)
    context = {"form": form, "error": error, "period": period,
               "presets": _presets(timezone.localdate()), "data": None}
    if period is not None:
        data = metrics.ticket_metrics(actor=actor, period=period)
        context["data"] = {
            **data, "overall": _display(data["overall"]),
            "by_category": [_display(r) for r in data["by_category"]],
            "by_technician": None if data["by_technician"] is None else [_display(r) for r in data["by_technician"]],
        }
        context["query"] = _query(period)
        if not form.data.get("from") or not form.data.get("to"):
            form = PeriodForm({"from": period.first.isoformat(), "to": period.last.isoformat()})
            form.is_valid()
            context["form"] = form
    return render(request, "tickets/metrics.html", {**page_context(request), **context},
                  status=200 if period is not None else 400)


@estate_page
def metrics_export(request):
    actor = _actor(request)
    _form, period, error = _period_from(request)
    if period is None:
        raise DomainError(error or _("The period is not valid."), code="metrics_period")
    response = HttpResponse(metrics.metrics_workbook(actor=actor, period=period),
                            content_type=metrics.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{metrics.export_filename(actor, period)}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("console/tickets/metrics/", metrics_page, name="metrics"),
    path("console/tickets/metrics.xlsx", metrics_export, name="metrics_export"),
]
