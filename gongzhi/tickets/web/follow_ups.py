"""The follow-up queue (回访) in the staff console: customer service sees the visits due (oldest first, overdue
marked), calls the resident back and records the outcome in place; an unsatisfied resident's ticket may be
reopened from here. The desk sees the queue; customer service and the managers record (``FollowUpPolicy``)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import page_context, pager

from .. import feedback
from ..api.feedback import follow_up_data
from ..choices import FollowUpOutcome, FollowUpReason, TicketKind, TicketStatus
from ..feedback import FollowUpPolicy

STATES = {"pending": True, "done": False, "all": None}
STATE_LABELS = {"pending": _("To call"), "done": _("Done"), "all": _("All")}
PAGE_SIZE = 50


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))




def _record(request, actor) -> tuple[int | None, DomainError | None, dict]:
    """Record the outcome posted for one visit: (visit id, the service's refusal or None, what was typed)."""
    try:
        visit_id = int(request.POST.get("visit_id", ""))
    except ValueError:
        raise Http404() from None
    typed = {"outcome": request.POST.get("outcome", ""), "note": request.POST.get("note", ""),
             "reopen": request.POST.get("reopen") == "on"}
    try:
        feedback.follow_up_record(actor=actor, visit_id=visit_id, **typed)
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        return visit_id, error, typed
    return visit_id, None, typed


@estate_page
def follow_up_queue(request):
    actor = request.actor
    if not FollowUpPolicy.can(actor, "view"):
        raise Forbidden()
    state = request.GET.get("state", "pending")
    if state not in STATES:
        state = "pending"
    failed_id, error, typed, status = None, None, {}, 200
    if request.method == "POST":
        failed_id, error, typed = _record(request, actor)
        if error is None:
            messages.success(request, _("The outcome of the follow-up visit was recorded."))
            return redirect(request.get_full_path())
        status = error.status
    page = feedback.follow_up_list(actor=actor, pending=STATES[state], cursor=request.GET.get("cursor") or None,
                                   limit=PAGE_SIZE)
    now = timezone.now()
    rows = []
    for visit in page.items:
        data = follow_up_data(actor, visit, now)
        rows.append({**data, "reason_label": _label(FollowUpReason, data["reason"]),
                     "outcome_label": _label(FollowUpOutcome, data["outcome"]),
                     "kind_label": _label(TicketKind, data["ticket"]["kind"]),
                     "status_label": _label(TicketStatus, data["ticket"]["status"]),
                     "error": error if visit.pk == failed_id else None,
                     "typed": typed if visit.pk == failed_id else {}})
    context = {**page_context(request), "rows": rows, "state": state, "pager": pager(request, page),
               "states": [(key, str(text)) for key, text in STATE_LABELS.items()],
               "outcomes": FollowUpOutcome.choices, "can_record": FollowUpPolicy.can(actor, "record"),
               "error": error if failed_id is not None and not any(r["error"] for r in rows) else None}
    return render(request, "tickets/follow_ups.html", context, status=status)


urlpatterns = [
    path("console/follow-ups/", follow_up_queue, name="follow_ups"),
]
