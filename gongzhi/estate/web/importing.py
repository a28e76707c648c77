"""The staff console's import wizard: upload, check (or dry-run), and the report row by row; the template and the
export downloads."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page

from ..importing import (
    XLSX_CONTENT_TYPE,
    can_export,
    can_import,
    export_registry,
    import_registry,
    staging,
    template_workbook,
)
from ..importing.planning import CREATE, UPSERT
from ..importing.reading import Limits
from .views import page_context


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Registry file (.xlsx or .csv)"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    dry_run = forms.BooleanField(label=_("Dry run: check the file and count, write nothing"), required=False,
                                 initial=True)
    mode = forms.ChoiceField(label=_("Mode"), initial=UPSERT, choices=[
        (UPSERT, _("Create new rows and update existing ones")),
        (CREATE, _("Only create: reject rows that already exist")),
    ])


class StagedImportForm(forms.Form):
    staged = forms.RegexField(regex=r"^[0-9a-f]{64}$")
    filename = forms.CharField(max_length=255)
    mode = forms.ChoiceField(choices=[(UPSERT, UPSERT), (CREATE, CREATE)])


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@estate_page
def import_wizard(request):
    actor = request.actor
    if not can_import(actor):
        raise Forbidden()
    report = None
    status = 200
    staged_sha256 = None
    if request.method == "POST" and "staged" in request.POST:
        # "Import now" after a clean dry run: the checked file, not a second upload.
        form = ImportForm()
        confirm = StagedImportForm(request.POST)
        data = staging.staged(actor=actor, sha256=request.POST["staged"]) if confirm.is_valid() else None
        if data is None:
            raise DomainError(_("That checked file is no longer available; please upload it again."),
                              code="import_staged_missing", status=410)
        report = import_registry(actor=actor, filename=confirm.cleaned_data["filename"], data=data,
                                 size=len(data), dry_run=False, mode=confirm.cleaned_data["mode"])
        if report.ok:
            staging.unstage(actor=actor, sha256=request.POST["staged"])
        status = 200 if report.ok else 400
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            limit = Limits.from_settings().max_bytes
            data = upload.read(limit + 1)
            report = import_registry(actor=actor, filename=upload.name, data=data, size=upload.size,
                                     dry_run=form.cleaned_data["dry_run"], mode=form.cleaned_data["mode"])
            status = 200 if report.ok else 400
            if report.ok and report.dry_run:
                staged_sha256 = staging.stage(actor=actor, data=data)
        else:
            status = 400
    else:
        form = ImportForm()
    counts = []
    if report is not None and report.ok:
        labels = {"buildings": _("Buildings"), "units": _("Units"), "houses": _("Houses"), "persons": _("Persons"),
                  "residencies": _("Residencies"), "vehicles": _("Vehicles")}
        counts = [(labels[kind], outcome) for kind, outcome in report.counts.items()]
    return render(request, "estate/import.html", {
        **page_context(request), "form": form, "report": report, "counts": counts, "can_export": can_export(actor),
        "staged": staged_sha256, "mode": request.POST.get("mode", UPSERT),
        "max_mb": f"{Limits.from_settings().max_bytes / 1024 / 1024:.0f}",
    }, status=status)


@estate_page
def template_download(request):
    if not can_import(request.actor):
        raise Forbidden()
    return _download(template_workbook(), "gongzhi-registry-template.xlsx")


@estate_page
def export_download(request):
    return _download(export_registry(actor=request.actor), f"gongzhi-registry-{request.actor.estate.pk}.xlsx")
