"""Proposal and residents' council pages. Residents: proposals (write, co-sign, withdraw), meetings with their
minutes once held, decisions, action items and their status. Organisers (CouncilPolicy "organise"): plan meetings,
agenda, attendees, decisions (one may open an owners' vote), action items, minutes; an action's owner marks it
done. Views only call ``gongzhi.governance.council`` and ``council_meetings``."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page
from gongzhi.ledger.web.layout import base_for

from .. import council, council_meetings
from ..council_policies import CouncilPolicy
from ..models.council import ActionStatus, MeetingStatus, ProposalStatus
from .council_forms import (
    ActionForm,
    AgendaForm,
    AttendeeForm,
    DecisionForm,
    DecisionVoteForm,
    DoneForm,
    HoldForm,
    MeetingForm,
    ProposalForm,
)


def _service_error(form, error: DomainError) -> None:
    if error.status not in (400, 409):
        raise error
    form.add_service_error(error)


# --- proposals -------------------------------------------------------------------------------------------------

@estate_page
def proposal_list(request):
    actor = request.actor
    can_propose = CouncilPolicy.can(actor, "propose")
    form = ProposalForm(request.POST or None) if can_propose else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            created = council.proposal_create(actor=actor, title=form.cleaned_data["title"],
                                              body=form.cleaned_data["body"], idempotency_key=form.cleaned_data["key"])
        except DomainError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("Your proposal is published; residents can co-sign it now."))
            return redirect("governance:proposal", estate_id=actor.estate.pk, proposal_id=created.pk)
    status = request.GET.get("status", "")
    status = status if status in ProposalStatus.values else ""
    page = paginate(council.proposal_list(actor=actor, status=status), cursor=request.GET.get("cursor"), limit=50,
                    descending=True)
    return render_page(request, "governance/council/proposals.html", {
        "base": base_for(actor), "proposals": page.items, "form": form, "status": status,
        "statuses": ProposalStatus.choices, "needed": council.cosigners_needed(actor.estate), **pager(request, page)})


@estate_page
def proposal_detail(request, proposal_id):
    actor = request.actor
    proposal = council.proposal_get_for_actor(actor=actor, proposal_id=proposal_id)
    return render_page(request, "governance/council/proposal.html", {
        "base": base_for(actor), "p": proposal, "needed": council.cosigners_needed(actor.estate),
        "can_cosign": (CouncilPolicy.can(actor, "cosign") and proposal.status == ProposalStatus.COLLECTING
                       and proposal.author_id != actor.user_id and not proposal.cosigned_by_me),
        "can_withdraw": CouncilPolicy.can(actor, "withdraw", proposal) and proposal.status == ProposalStatus.COLLECTING})


@estate_page
def proposal_cosign(request, proposal_id):
    if request.method != "POST":  # the action is a button on the proposal's page
        return proposal_detail.__wrapped__(request, proposal_id)
    proposal = council.proposal_cosign(actor=request.actor, proposal_id=proposal_id)
    messages.success(request, _("You co-signed the proposal.") if proposal.status == ProposalStatus.COLLECTING
                     else _("You co-signed it, and it is now on the council's agenda."))
    return redirect("governance:proposal", estate_id=request.actor.estate.pk, proposal_id=proposal_id)


@estate_page
def proposal_withdraw(request, proposal_id):
    if request.method != "POST":
        return proposal_detail.__wrapped__(request, proposal_id)
    council.proposal_withdraw(actor=request.actor, proposal_id=proposal_id)
    messages.success(request, _("Your proposal is withdrawn."))
    return redirect("governance:proposal", estate_id=request.actor.estate.pk, proposal_id=proposal_id)


# --- meetings --------------------------------------------------------------------------------------------------

@estate_page
def meeting_list(request):
    actor = request.actor
    organiser = CouncilPolicy.can(actor, "organise")
    form = MeetingForm(request.POST or None) if organiser else None
    if request.method == "POST":
        if form is None:
            raise Forbidden()
        if form.is_valid():
            try:
                meeting = council_meetings.meeting_create(
                    actor=actor, title=form.cleaned_data["title"], starts_at=form.cleaned_data["starts_at"],
                    place=form.cleaned_data["place"], idempotency_key=form.cleaned_data["key"])
            except DomainError as error:
                _service_error(form, error)
            else:
                return redirect("governance:meeting", estate_id=actor.estate.pk, meeting_id=meeting.pk)
    page = paginate(council_meetings.meeting_list(actor=actor), cursor=request.GET.get("cursor"), limit=50,
                    descending=True)
    return render_page(request, "governance/council/meetings.html", {
        "base": base_for(actor), "meetings": page.items, "form": form, **pager(request, page)})


def _meeting_page(request, meeting, forms: dict | None = None, status=200):
    actor = request.actor
    detail = council_meetings.meeting_detail(meeting)
    organiser = CouncilPolicy.can(actor, "organise")
    today = timezone.localdate()
    actions = [(a, council_meetings.is_overdue(a, today)) for a in detail["actions"]]
    decisions = [i.decision for i in detail["agenda"] if getattr(i, "decision", None)]
    context = {"base": base_for(actor), "meeting": meeting, "agenda": detail["agenda"],
               "attendees": detail["attendees"], "actions": actions, "organiser": organiser,
               "show_minutes": council_meetings.minutes_visible(actor, meeting),
               "planned": meeting.status == MeetingStatus.PLANNED}
    if organiser:
        forms = forms or {}
        context.update({
            "agenda_form": forms.get("agenda") or AgendaForm(proposals=council_meetings.proposals_for_agenda(
                actor=actor)),
            "attendee_form": forms.get("attendee") or AttendeeForm(),
            "decision_form": forms.get("decision") or DecisionForm(items=detail["agenda"]),
            "action_form": forms.get("action") or ActionForm(users=council_meetings.owner_choices(actor.estate),
                                                             decisions=decisions),
            "hold_form": forms.get("hold") or HoldForm(),
            "vote_form": forms.get("vote") or DecisionVoteForm(),
        })
    return render_page(request, "governance/council/meeting.html", context, status=status)


@estate_page
def meeting_detail(request, meeting_id):
    meeting = council_meetings.meeting_get_for_actor(actor=request.actor, meeting_id=meeting_id)
    return _meeting_page(request, meeting)


@estate_page
def meeting_edit(request, meeting_id, part):
    """One organiser form of the meeting page (agenda, attendee, decision, vote, action, hold); a GET shows the
    meeting."""
    actor = request.actor
    if request.method != "POST":
        return meeting_detail.__wrapped__(request, meeting_id)
    if not CouncilPolicy.can(actor, "organise"):
        raise Forbidden()
    meeting = council_meetings.meeting_get_for_actor(actor=actor, meeting_id=meeting_id)
    detail = council_meetings.meeting_detail(meeting)
    decisions = [i.decision for i in detail["agenda"] if getattr(i, "decision", None)]
    forms = {
        "agenda": lambda: AgendaForm(request.POST, proposals=council_meetings.proposals_for_agenda(actor=actor)),
        "attendee": lambda: AttendeeForm(request.POST),
        "decision": lambda: DecisionForm(request.POST, items=detail["agenda"]),
        "vote": lambda: DecisionVoteForm(request.POST),
        "action": lambda: ActionForm(request.POST, users=council_meetings.owner_choices(actor.estate),
                                     decisions=decisions),
        "hold": lambda: HoldForm(request.POST),
    }
    form = forms[part]()
    if form.is_valid():
        data, mid = form.cleaned_data, meeting.pk
        calls = {
            "agenda": lambda: council_meetings.agenda_item_add(actor=actor, meeting_id=mid, title=data["title"],
                                                               proposal_id=data["proposal_id"]),
            "attendee": lambda: council_meetings.attendee_add(actor=actor, meeting_id=mid, kind=data["kind"],
                                                              name=data["name"]),
            "decision": lambda: council_meetings.decision_record(actor=actor, meeting_id=mid,
                                                                 agenda_item_id=data["agenda_item_id"],
                                                                 text=data["text"]),
            "vote": lambda: council_meetings.decision_open_vote(actor=actor, meeting_id=mid,
                                                                decision_id=data["decision_id"],
                                                                opens_at=data["opens_at"], closes_at=data["closes_at"]),
            "action": lambda: council_meetings.action_item_add(
                actor=actor, meeting_id=mid, title=data["title"], owner_name=data["owner_name"],
                owner_user_id=data["owner_user_id"], due_date=data["due_date"], decision_id=data["decision_id"],
                idempotency_key=data["key"]),
            "hold": lambda: council_meetings.meeting_hold(actor=actor, meeting_id=mid, minutes=data["minutes"]),
        }
        try:
            calls[part]()
        except DomainError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("governance:meeting", estate_id=actor.estate.pk, meeting_id=meeting.pk)
    return _meeting_page(request, meeting, {part: form}, status=400)


# --- action items ----------------------------------------------------------------------------------------------

@estate_page
def action_list(request):
    actor = request.actor
    show = request.GET.get("show", "")
    status = show if show in ActionStatus.values else ""
    qs = council_meetings.action_list(actor=actor, status=status, overdue=show == "overdue")
    page = paginate(qs, cursor=request.GET.get("cursor"), limit=50, descending=True)
    today = timezone.localdate()
    return render_page(request, "governance/council/actions.html", {
        "base": base_for(actor), "actions": [(a, council_meetings.is_overdue(a, today)) for a in page.items],
        "show": show, **pager(request, page)})


@estate_page
def action_detail(request, action_id):
    actor = request.actor
    action = council_meetings.action_get_for_actor(actor=actor, action_id=action_id)
    form = None
    if action.status == ActionStatus.OPEN and CouncilPolicy.can(actor, "complete", action):
        form = DoneForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                council_meetings.action_item_done(actor=actor, action_id=action.pk, note=form.cleaned_data["note"])
            except DomainError as error:
                _service_error(form, error)
            else:
                messages.success(request, _("Marked done."))
                return redirect("governance:action", estate_id=actor.estate.pk, action_id=action.pk)
    elif request.method == "POST":
        raise Forbidden()
    return render_page(request, "governance/council/action.html", {
        "base": base_for(actor), "action": action, "overdue": council_meetings.is_overdue(action), "form": form})


urlpatterns = [
    path("governance/proposals/", proposal_list, name="proposals"),
    path("governance/proposals/<int:proposal_id>/", proposal_detail, name="proposal"),
    path("governance/proposals/<int:proposal_id>/cosign/", proposal_cosign, name="proposal_cosign"),
    path("governance/proposals/<int:proposal_id>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
    path("governance/meetings/", meeting_list, name="meetings"),
    path("governance/meetings/<int:meeting_id>/", meeting_detail, name="meeting"),
    *[path(f"governance/meetings/<int:meeting_id>/{part}/", meeting_edit, {"part": part}, name=f"meeting_{part}")
      for part in ("agenda", "attendee", "decision", "vote", "action", "hold")],
    path("governance/actions/", action_list, name="actions"),
    path("governance/actions/<int:action_id>/", action_detail, name="action"),
]
