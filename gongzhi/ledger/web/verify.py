"""Verification pages: the installation's public key, the signed checkpoints, "verify the ledger now", a closed
month's download for offline checking (with the tool and its short procedure), and closing the next month.

Readers of the ledger (LedgerPolicy "verify": owners, the committee, finance, the manager) see the page in their
own layout; closing is finance's and the manager's ("close"). Verifying runs over the whole chain, so it is
rate-limited per user (``verify.verify_for_actor``).
"""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page

from .. import export, services, verify
from ..policies import LedgerPolicy
from .layout import base_for

TOOL = Path(settings.BASE_DIR) / "tools" / "verify_ledger.py"


def _reader(request):
    if not LedgerPolicy.can(request.actor, "verify"):
        raise Forbidden()
    return request.actor


def _context(actor) -> dict:
    key = export.public_key_info(actor=actor)
    can_close = LedgerPolicy.can(actor, "close")
    next_month = services.next_period_to_close(actor.estate) if can_close else None
    return {"base": base_for(actor), "key": key, "checkpoints": export.checkpoint_rows(actor=actor),
            "can_close": can_close, "next_month": next_month, "tool_name": TOOL.name}


@estate_page
def verify_page(request):
    """The public key, the checkpoints with their downloads, the verify button, the offline procedure."""
    actor = _reader(request)
    return render_page(request, "ledger/verify/page.html", _context(actor))


@estate_page
def verify_run(request):
    """Verify the whole chain now (POST); answers the result fragment (htmx) or the page with the result in it.
    A GET shows the page, with the button."""
    actor = _reader(request)
    if request.method != "POST":
        return render_page(request, "ledger/verify/page.html", _context(actor))
    htmx = request.headers.get("HX-Request") == "true"
    try:
        result, error, status = verify.verify_for_actor(actor=actor), None, 200
    except DomainError as refused:
        if refused.status != 429:
            raise
        result, error, status = None, refused.text(), (200 if htmx else 429)  # htmx swaps only 2xx answers
    context = {"result": result, "error": error}
    if htmx:
        return render(request, "ledger/verify/_result.html", {"actor": actor, **context}, status=status)
    return render_page(request, "ledger/verify/page.html", {**_context(actor), **context}, status=status)


@estate_page
def close_period(request):
    """Close the month the button named (POST; it must be the next one to close: periods close in order). A GET
    asks for confirmation."""
    actor = request.actor
    if not LedgerPolicy.can(actor, "close"):
        raise Forbidden()
    if request.method != "POST":
        return render_page(request, "ledger/verify/close.html", _context(actor))
    checkpoint = services.period_close(actor=actor, year=request.POST.get("year"), month=request.POST.get("month"))
    messages.success(request, _("%(month)s is closed: its checkpoint is signed (last entry #%(seq)s).") % {
        "month": f"{checkpoint.period_start:%Y-%m}", "seq": checkpoint.head_seq})
    return redirect("ledger:verify", actor.estate.pk)


@estate_page
def export_period(request, year, month):
    """A closed month as a JSON file for ``tools/verify_ledger.py`` (404 for a month that is not closed)."""
    return export.export_response(export.period_export(actor=request.actor, year=year, month=month))


@estate_page
def verify_tool(request):
    """The offline verification tool itself (standard library + cryptography), to run on the owner's computer."""
    _reader(request)
    response = HttpResponse(TOOL.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TOOL.name}"'
    return response


urlpatterns = [
    path("ledger/verify/", verify_page, name="verify"),
    path("ledger/verify/run/", verify_run, name="verify_run"),
    path("ledger/verify/tool/", verify_tool, name="verify_tool"),
    path("ledger/close/", close_period, name="close"),
    path("ledger/export/<int:year>/<int:month>/", export_period, name="export"),
]
