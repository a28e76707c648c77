"""What the three sides of the tickets pages share: the detail of a ticket as a page shows it (with its quotes and
ratings), SLA countdowns, and the actions posted to a detail page (carried out by the services, dispatch, feedback
and quotes)."""

from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gongzhi.core.errors import Conflict, DomainError, Forbidden

from .. import dispatch, feedback, photos, quotes, selectors, services, sla
from ..choices import (
    Action,
    HoldReason,
    Priority,
    QuoteLineKind,
    QuoteStatus,
    Scope,
    SlaState,
    TicketKind,
    TicketStatus,
)
from ..presenters import ticket_detail_data, ticket_row_data
from . import forms as f

SYSTEM_ACTIONS = {
    "sla_at_risk": _("SLA at risk"),
    "sla_breach": _("SLA target missed"),
    "escalate": _("Escalated"),
    "auto_close": _("Closed without a rating"),
    "auto_assign": _("Assigned automatically"),
    "send_back": _("Sent back by the resident"),
    "rate": _("Rated"),
}


def label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))


# --- SLA countdowns ------------------------------------------------------------------------------------------------
def _duration(seconds: int) -> str:
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return str(_("%(days)s d %(hours)s h") % {"days": days, "hours": hours})
    if hours:
        return str(_("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes})
    return str(_("%(minutes)s min") % {"minutes": minutes})


def countdown(ticket, now: datetime | None = None, clocks=None) -> dict:
    """The ticket's running SLA target for display: which target, when it is due, the seconds left (negative when
    late), the state, and a short text (``sla.sla_countdown``). Pass one ``clocks`` for a list."""
    data = sla.sla_countdown(ticket, now or timezone.now(), clocks=clocks)
    seconds, due, target = data["seconds_left"], data["due_at"], data["target"]
    state = SlaState.PAUSED if data["paused"] else (data["state"] or SlaState.NONE)
    if state == SlaState.PAUSED:
        text = str(_("Paused"))
    elif seconds is None:
        text = "" if state in {SlaState.NONE, SlaState.MET} else label(SlaState, state)
    elif seconds >= 0:
        text = str(_("%(time)s left") % {"time": _duration(seconds)})
    else:
        text = str(_("%(time)s late") % {"time": _duration(seconds)})
    if seconds is not None and seconds < 0 and state not in {SlaState.PAUSED, SlaState.MET}:
        state = SlaState.BREACHED
    target_label = {"response": _("Response"), "resolution": _("Resolution")}.get(target, "")
    return {"target": target, "target_label": str(target_label), "due_at": due, "seconds_left": seconds,
            "state": state, "state_label": label(SlaState, state), "text": text,
            "running": seconds is not None and state != SlaState.PAUSED,
            "breached": bool(data["response_breached"] or data["resolution_breached"])}


def with_countdowns(actor, tickets, now: datetime | None = None) -> list[dict]:
    """List rows: what ``presenters.ticket_row_data`` shows this actor (an anonymous complaint's submitter and
    house hidden from staff below the manager), the SLA countdown and the labels."""
    now = now or timezone.now()
    clocks = sla.Clocks()  # the estate calendar read once for the list
    rows = []
    for t in tickets:
        data = ticket_row_data(actor, t)
        data.update(where=where_text(data))
        rows.append({"ticket": t, "data": data, "sla": countdown(t, now, clocks),
                     "status_label": label(TicketStatus, t.status),
                     "kind_label": label(TicketKind, t.kind), "priority_label": label(Priority, t.priority)})
    return rows


# --- a ticket's detail -------------------------------------------------------------------------------------------
def where_text(data: dict) -> str:
    if data["scope"] == Scope.PRIVATE:
        return data["house"] or str(_("A house (not shown)"))
    parts = [data["building"] and str(_("Building %(name)s") % {"name": data["building"]}),
             data["unit"] and str(_("unit %(name)s") % {"name": data["unit"]}), data["place"]]
    return " · ".join(p for p in parts if p) or str(_("Common area"))


def detail(actor, ticket) -> dict:
    """Everything a detail page shows of the ticket, as the presenters show it to this actor (an anonymous
    complaint's submitter hidden from staff below the manager, internal notes for staff only), with labels."""
    events = selectors.ticket_timeline(actor=actor, ticket=ticket)
    comments = selectors.ticket_comments(actor=actor, ticket=ticket)
    shown_photos = photos.ticket_photos(actor=actor, ticket=ticket)
    data = ticket_detail_data(actor, ticket, events, comments, shown_photos)
    data.update(status_label=label(TicketStatus, data["status"]), kind_label=label(TicketKind, data["kind"]),
                priority_label=label(Priority, data["priority"]), sla_label=label(SlaState, data["sla_state"]),
                hold_reason_label=label(HoldReason, data["hold_reason"]), where=where_text(data))
    for event in data["timeline"]:
        action = event["action"]
        event["action_label"] = (label(Action, action) if action in Action.values
                                 else str(SYSTEM_ACTIONS.get(action, action)))
        event["to_label"] = label(TicketStatus, event["to_status"])
        event["hold_reason_label"] = label(HoldReason, event["hold_reason"]) if event["hold_reason"] else ""
    shown_quotes = [{"quote": quote, "status_label": label(QuoteStatus, quote.status),
                     "lines": [{"line": line, "kind_label": label(QuoteLineKind, line.kind)}
                               for line in quote.lines.all()]}
                    for quote in quotes.ticket_quotes(actor=actor, ticket=ticket)]
    ratings = feedback.ticket_ratings(actor=actor, ticket=ticket)
    current_rating = next((r for r in ratings if r.round == ticket.reopen_count), None)
    return {"ticket": ticket, "data": data, "sla": countdown(ticket), "quotes": shown_quotes,
            "live_quote": next((q for q in shown_quotes if q["quote"].status == QuoteStatus.PROPOSED), None),
            "ratings": ratings, "current_rating": current_rating, "actions": set(data["actions"])}


# --- errors and rendering ----------------------------------------------------------------------------------------
def error_context(error: DomainError) -> dict:
    return {"error": {"text": error.text(), "code": error.code, "status": error.status,
                      "field": (error.detail or {}).get("field") if isinstance(error.detail, dict) else None}}


def form_error(form) -> DomainError:
    """A form that did not validate, as the page shows a service's error."""
    problems = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        prefix = f"{field.label}: " if field is not None and field.label else ""
        problems.extend(f"{prefix}{e}" for e in errors)
    return DomainError(_("Please check the form: %(problems)s"), code="invalid_form",
                       problems=" ".join(problems))


def done(request, message, url: str):
    messages.success(request, message)
    return redirect(url)


# --- actions posted to a detail page -----------------------------------------------------------------------------
def check_photos(uploads) -> None:
    """Refuse a batch before anything is written: each upload must be a photo we accept (the service checks it
    again when it stores it)."""
    for upload in uploads:
        photos.process_photo(upload)


def add_photos(actor, ticket_id: int, uploads, comment_id: int | None = None) -> int:
    for upload in uploads:
        photos.ticket_photo_add(actor=actor, ticket_id=ticket_id, upload=upload, comment_id=comment_id)
    return len(uploads)


def transition(actor, ticket_id: int, action: str, note: str = "", *, assignee_id=None, hold_reason=None):
    return services.ticket_transition(actor=actor, ticket_id=ticket_id, action=action, note=note,
                                      assignee_id=assignee_id, hold_reason=hold_reason)


def _valid(form):
    if not form.is_valid():
        raise form_error(form)
    return form.cleaned_data


def perform(request, actor, ticket, allowed: set[str]) -> str:
    """Carry out the action posted to a detail page, if this side of the pages offers it; return what to tell
    the user. A refusal raises the service's DomainError (shown in place)."""
    post = request.POST
    action = post.get("action", "")
    if action not in allowed:
        raise DomainError(_("%(action)s is not an action of this page."), code="invalid_action", action=action)
    tid = ticket.pk
    if action == "comment":
        data = _valid(f.CommentForm(post, request.FILES))
        check_photos(data["photos"])
        comment = services.comment_add(actor=actor, ticket_id=tid, body=data["body"],
                                       internal=data["internal"] and "internal" in allowed)
        add_photos(actor, tid, data["photos"], comment_id=comment.pk)
        return _("Your comment was added.")
    if action == "photo":
        data = _valid(f.PhotoForm(post, request.FILES))
        if not data["photos"]:
            raise DomainError(_("Choose a photo first."), code="photo_missing")
        check_photos(data["photos"])
        count = add_photos(actor, tid, data["photos"])
        return ngettext("%(count)s photo was added.", "%(count)s photos were added.", count) % {"count": count}
    if action == "assign":
        data = _valid(f.AssignForm(post))
        transition(actor, tid, Action.ASSIGN, data["note"], assignee_id=data["assignee"])
        return _("The ticket was assigned.")
    if action == "auto_assign":
        assigned = dispatch.auto_assign(actor=actor, ticket_id=tid)
        if assigned is None:  # the ticket stays as it is; dispatch told the rest of the desk
            raise Conflict(_("Nobody suitable is on duty now (a technician with the skill who takes automatic "
                             "assignments), so the ticket was not assigned. Please assign it by hand."),
                           code="no_candidate")
        return _("The ticket was assigned automatically to %(name)s.") % {"name": assigned.assignee}
    if action == "hold":
        data = _valid(f.HoldForm(post))
        transition(actor, tid, Action.HOLD, data["note"], hold_reason=data["hold_reason"])
        return _("The ticket is on hold.")
    if action in {"resolve", "reject"}:
        data = _valid(f.ReasonForm(post))
        transition(actor, tid, action, data["note"])
        return _("Done: %(action)s.") % {"action": label(Action, action)}
    if action == "reopen":
        data = _valid(f.ReasonForm(post))
        if "rate" in allowed:  # the household's page: sending the work back is the feedback module's
            feedback.ticket_send_back(actor=actor, ticket_id=tid, reason=data["note"])
        else:
            transition(actor, tid, Action.REOPEN, data["note"])
        return _("The ticket was sent back.")
    if action in {"accept", "start", "resume", "close", "cancel", "grab"}:
        data = _valid(f.NoteForm(post))
        transition(actor, tid, action, data["note"])
        return _("Done: %(action)s.") % {"action": label(Action, action)}
    if action == "rate":
        data = _valid(f.RatingForm(post))
        feedback.rating_submit(actor=actor, ticket_id=tid, score=data["score"], comment=data["comment"])
        return _("Thank you for your rating.")
    if action == "quote_decide":
        data = _valid(f.QuoteDecisionForm(post))
        quotes.quote_decide(actor=actor, quote_id=data["quote"], accept=data["decision"] == "accept", note=data["note"])
        return _("Your decision on the quote was recorded.")
    if action == "quote_propose":
        lines, problems = f.quote_lines(post)
        if problems:
            raise DomainError(_("Please check the quote: %(problems)s"), code="invalid_quote",
                              problems=" ".join(problems))
        quotes.quote_propose(actor=actor, ticket_id=tid, lines=lines, note=post.get("quote_note", "").strip()[:4000])
        return _("The quote was sent to the resident.")
    raise Forbidden()  # pragma: no cover - every allowed action is handled above
