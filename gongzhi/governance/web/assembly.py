"""Temporary assembly request pages: the list (owners start one), one request with its progress against both 20 %
floors and the signing houses (owners sign or withdraw for the houses they represent; the owners' committee
schedules a reached request). Views only call ``gongzhi.governance.assembly``."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page
from gongzhi.ledger.web.layout import base_for

from .. import assembly
from ..council_policies import AssemblyPolicy
from .council_forms import AssemblyRequestForm, AssemblyScheduleForm


def _back(request, request_id):
    return redirect("governance:assembly_detail", estate_id=request.actor.estate.pk, request_id=request_id)


@estate_page
def assembly_list(request):
    actor = request.actor
    can_start = AssemblyPolicy.can(actor, "start")
    form = AssemblyRequestForm(request.POST or None) if can_start else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            created = assembly.assembly_request_start(actor=actor, title=form.cleaned_data["title"],
                                                      matters=form.cleaned_data["matters"],
                                                      idempotency_key=form.cleaned_data["key"])
        except DomainError as error:
            if error.status != 400:
                raise
            form.add_service_error(error)
        else:
            messages.success(request, _("Your request is started; owners can sign it now."))
            return _back(request, created.pk)
    page = paginate(assembly.assembly_request_list(actor=actor), cursor=request.GET.get("cursor"), limit=50,
                    descending=True)
    return render_page(request, "governance/assembly/list.html", {
        "base": base_for(actor), "requests": page.items, "form": form, **pager(request, page)})


@estate_page
def assembly_detail(request, request_id):
    actor = request.actor
    req = assembly.assembly_request_get_for_actor(actor=actor, request_id=request_id)
    signed = set(assembly.my_signatures(actor=actor, request=req))
    mine = assembly.represented_houses(actor=actor) if AssemblyPolicy.can(actor, "sign") else []
    can_schedule = AssemblyPolicy.can(actor, "schedule") and req.status == "reached"
    return render_page(request, "governance/assembly/detail.html", {
        "base": base_for(actor), "req": req, "progress": assembly.assembly_progress(req),
        "signatures": assembly.signatures_of(req), "my_houses": [(h, h.pk in signed) for h in mine],
        "schedule_form": AssemblyScheduleForm() if can_schedule else None})


@estate_page
def assembly_sign(request, request_id):
    if request.method != "POST":  # the action is a button on the request's page
        return assembly_detail.__wrapped__(request, request_id)
    house_id = int(request.POST.get("house_id") or 0)
    if request.POST.get("action") == "withdraw":
        assembly.assembly_unsign(actor=request.actor, request_id=request_id, house_id=house_id)
        messages.success(request, _("Your signature is withdrawn."))
    else:
        assembly.assembly_sign(actor=request.actor, request_id=request_id, house_id=house_id)
        messages.success(request, _("Signed. Thank you."))
    return _back(request, request_id)


@estate_page
def assembly_schedule(request, request_id):
    actor = request.actor
    req = assembly.assembly_request_get_for_actor(actor=actor, request_id=request_id)
    form = AssemblyScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vote = assembly.assembly_schedule(actor=actor, request_id=req.pk, opens_at=form.cleaned_data["opens_at"],
                                              closes_at=form.cleaned_data["closes_at"],
                                              title=form.cleaned_data["title"])
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            form.add_service_error(error)
        else:
            messages.success(request, _("The temporary assembly is scheduled as vote #%(id)s; add its items and "
                                        "open it.") % {"id": vote.pk})
            return _back(request, req.pk)
    return render_page(request, "governance/assembly/detail.html", {
        "base": base_for(actor), "req": req, "progress": assembly.assembly_progress(req),
        "signatures": assembly.signatures_of(req), "my_houses": [], "schedule_form": form},
        status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("governance/assembly/", assembly_list, name="assembly_list"),
    path("governance/assembly/<int:request_id>/", assembly_detail, name="assembly_detail"),
    path("governance/assembly/<int:request_id>/sign/", assembly_sign, name="assembly_sign"),
    path("governance/assembly/<int:request_id>/schedule/", assembly_schedule, name="assembly_schedule"),
]
