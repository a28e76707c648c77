"""The owners' public ledger (Civil Code art. 943): this year at a glance, the drill-down from a category total to its
entries, an entry with its lines, approval, reversals, hashes and documents, the document download, and the
disclosure reports as a page with charts and as a PDF.

Who reads: LedgerPolicy "view" (owners, the owners' committee, finance, the manager; the residents' committee
liaison when the estate turns ``ledger.public_to_rc_liaison`` on). Any other member (family, tenants, staff outside
finance) gets 403 on every page here, as the notices console does: the answer does not depend on the id asked
for, so it reveals nothing. An entry or a document a reader may not see is 404, as one of another estate.
Staff-only fields only ever reach the page through ``presenters.entry_data(private=True)``.
Charts are inline SVG drawn here, server-side (no JavaScript, no CDN).
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Forbidden
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page

from .. import disclosure as public
from .. import selectors, signing
from ..choices import AccountGroup
from ..models import FundProjectPayment
from ..pdf import render_pdf
from ..policies import LedgerPolicy
from ..presenters import entry_data
from .layout import base_for

LIST_LIMIT = 30


def _reader(request, action: str = "view"):
    actor = request.actor
    if not LedgerPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _context(actor, **extra) -> dict:
    return {"base": base_for(actor), "private": LedgerPolicy.can(actor, "view_private"), **extra}


# --- charts (inline SVG geometry; the templates only place what is computed here) ------------------------------------
def _n(value: float) -> str:
    """A coordinate as SVG wants it, whatever the page's locale ("12.5", never "12,5" or "1,234")."""
    return f"{value:.1f}"


@dataclass
class Bar:
    label: str
    value: Decimal
    url: str
    css: str
    y: str = ""
    text_y: str = ""
    width: str = ""
    value_x: str = ""


def bar_chart(rows: list[Bar], *, width: int = 640, label_width: int = 190, row_height: int = 26) -> dict:
    """Horizontal bars, one per row, scaled to the largest value (a negative total, left by a reversal larger than
    what it reversed in the period, shows as an empty bar with its figure)."""
    top = max((r.value for r in rows if r.value > 0), default=Decimal("1"))
    plot = width - label_width - 90
    for i, r in enumerate(rows):
        w = float(max(r.value, Decimal("0")) / top) * plot
        r.y, r.text_y = _n(i * row_height + 4), _n(i * row_height + 18)
        r.width, r.value_x = _n(max(w, 1.0)), _n(label_width + w + 6)
    return {"bars": rows, "width": width, "height": len(rows) * row_height + 8, "label_x": label_width - 8,
            "bar_x": label_width}


def month_chart(by_month, *, width: int = 640, height: int = 180) -> dict:
    """Income and expense side by side for each month of the year."""
    top = max([m.income for m in by_month] + [m.expense for m in by_month] + [Decimal("1")])
    left, bottom, plot_h = 10, height - 22, height - 40
    group = (width - left) / 12
    months = []
    for i, m in enumerate(by_month):
        x = left + i * group
        bars = []
        for j, (value, css) in enumerate(((m.income, "income"), (m.expense, "expense"))):
            h = float(max(value, Decimal("0")) / top) * plot_h
            bars.append({"x": _n(x + 4 + j * group * 0.4), "y": _n(bottom - h), "w": _n(group * 0.38),
                         "h": _n(h), "css": css, "value": value})
        months.append({"label": f"{m.month}", "x": _n(x + group / 2), "bars": bars, "income": m.income,
                       "expense": m.expense})
    return {"months": months, "width": width, "height": height, "axis_y": _n(bottom), "label_y": _n(height - 6)}


# --- links -----------------------------------------------------------------------------------------------------------
def entries_url(estate_id: int, period, *, account: str = "", group: str = "") -> str:
    params = {"account": account} if account else {"group": group}
    params.update({"from": period.start.isoformat(), "to": period.end.isoformat()})
    return f"{reverse('ledger:entries', args=[estate_id])}?{urlencode(params)}"


def _groups(estate_id: int, period, categories) -> list[dict]:
    """Each category with its total and its accounts, each linked to the entries behind it."""
    return [{"group": c.group, "label": c.label, "total": c.total,
             "url": entries_url(estate_id, period, group=c.group),
             "accounts": [{"code": a.code, "label": a.label, "amount": a.amount,
                           "url": entries_url(estate_id, period, account=a.code)} for a in c.accounts]}
            for c in categories]


def _bars(groups: list[dict], css: str) -> list[Bar]:
    return [Bar(f"{a['code']} {a['label']}", a["amount"], a["url"], css) for g in groups for a in g["accounts"]]


def _report_context(actor, report) -> dict:
    estate_id, period = actor.estate.pk, report.period
    income, expense = _groups(estate_id, period, report.income), _groups(estate_id, period, report.expense)
    income_bars, expense_bars = _bars(income, "income"), _bars(expense, "expense")
    return {
        "report": report,
        "sides": [{"id": "income", "title": _("Income"), "groups": income, "total": report.income_total,
                   "chart": bar_chart(income_bars) if income_bars else None},
                  {"id": "expense", "title": _("Expense"), "groups": expense, "total": report.expense_total,
                   "chart": bar_chart(expense_bars) if expense_bars else None}],
        "month_chart": month_chart(report.by_month) if report.by_month else None,
        "urls": {"public_revenue": entries_url(estate_id, period, group=AccountGroup.PUBLIC_REVENUE),
                 "public_revenue_cost": entries_url(estate_id, period, group=AccountGroup.PUBLIC_REVENUE_COST),
                 "public_fund": entries_url(estate_id, period, account="3001"),
                 "maintenance_fund": entries_url(estate_id, period, account="3101"),
                 "receivable": entries_url(estate_id, period, account="1122"),
                 "prepaid": entries_url(estate_id, period, account="2201")},
    }


def _period_links(estate_id: int, years: list[int]) -> list[dict]:
    """The annual reports, newest first, each with its months so far."""
    today = timezone.localdate()
    base = reverse("ledger:disclosure", args=[estate_id])
    pdf = reverse("ledger:disclosure_pdf", args=[estate_id])
    out = []
    for year in years:
        last = today.month if year == today.year else 12
        out.append({"year": year, "url": f"{base}?year={year}", "pdf": f"{pdf}?year={year}",
                    "months": [{"month": m, "url": f"{base}?year={year}&month={m}",
                                "pdf": f"{pdf}?year={year}&month={m}"} for m in range(1, last + 1)]})
    return out


# --- pages -----------------------------------------------------------------------------------------------------------
@estate_page
def overview(request):
    """This year at a glance: income and expense by category, the public revenue and maintenance fund balances,
    the latest checkpoint with the public key, and the disclosure reports."""
    actor = _reader(request)
    estate = actor.estate
    report = public.disclosure_report(estate=estate, year=timezone.localdate().year, per_house=False)
    return render_page(request, "ledger/public/overview.html", _context(
        actor, **_report_context(actor, report), checkpoint=public.latest_checkpoint(estate),
        public_key=signing.public_key_hex(), periods=_period_links(estate.pk, public.ledger_years(estate)),
        this_year=f"{reverse('ledger:disclosure', args=[estate.pk])}?year={report.period.year}"))


@estate_page
def entries(request):
    """The entries behind a category total (``?account=4101`` or ``?group=expense``, ``&from=&to=``), newest first,
    paged by cursor, each with its amount on the drilled account(s) so that the rows add up to the total."""
    actor = _reader(request)
    g = request.GET
    filters, drill = public.drill_filters(account=g.get("account", ""), group=g.get("group", ""),
                                          date_from=g.get("from"), date_to=g.get("to"), kind=g.get("kind", ""),
                                          q=g.get("q", ""))
    qs = selectors.entry_list(actor=actor, filters=filters)
    page = paginate(qs, cursor=g.get("cursor") or None, limit=LIST_LIMIT, descending=True)
    private = LedgerPolicy.can(actor, "view_private")
    rows = [{**entry_data(e, actor, private=private), "drill_amount": public.drill_amount(e, drill)}
            for e in public.with_house_codes(page.items)]
    return render_page(request, "ledger/public/entries.html", _context(
        actor, rows=rows, pager=pager(request, page), filters=filters, drill=drill,
        title=public.drill_title(actor.estate, drill), total=public.drill_total(qs, drill)))


@estate_page
def entry(request, entry_id):
    """One entry: its lines, the approval it rests on (decision, role, tally), the reversal links both ways, its
    place in the chain (hash and previous hash) and its documents (staff-only ones for private readers only)."""
    actor = _reader(request)
    private = LedgerPolicy.can(actor, "view_private")
    found = public.with_house_codes([selectors.entry_get(actor=actor, entry_id=entry_id)])[0]
    data = entry_data(found, actor, private=private)
    approval = None
    if found.approval_id:
        approval = {**public.approval_data(found.approval, private=private),
                    "documents": public.approval_documents(actor, found.approval, private=private)}
    payment = FundProjectPayment.objects.filter(entry=found).values_list("project_id", flat=True).first()
    return render_page(request, "ledger/public/entry.html", _context(
        actor, entry=data, approval=approval, reverses=found.reverses, reversed_by=public.reversed_by(found),
        fund_project_id=payment, can_reverse=LedgerPolicy.can(actor, "reverse") and found.kind != "reversal"
        and public.reversed_by(found) is None))


def document_response(document) -> FileResponse:
    """Always a download, never sniffed, never able to run script in our origin (never served via /media/)."""
    response = FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                            filename=document.name)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@estate_page
def document(request, document_id):
    actor = _reader(request)
    return document_response(public.document_get(actor=actor, document_id=document_id))


def _period_args(request) -> tuple:
    year = request.GET.get("year") or timezone.localdate().year
    return year, request.GET.get("month") or None


@estate_page
def disclosure(request):
    """A disclosure report (``?year=`` and optionally ``&month=``; this year by default) with charts, the
    per-house statement of the maintenance fund, and the checkpoint; the PDF is one link away."""
    actor = _reader(request, "disclosure")
    year, month = _period_args(request)
    report = public.disclosure_report(estate=actor.estate, year=year, month=month)
    years = public.ledger_years(actor.estate)
    pdf = reverse("ledger:disclosure_pdf", args=[actor.estate.pk])
    query = urlencode({"year": report.period.year, **({"month": report.period.month} if report.period.month
                                                      else {})})
    return render_page(request, "ledger/public/disclosure.html", _context(
        actor, **_report_context(actor, report), years=years, months=range(1, 13), pdf_url=f"{pdf}?{query}",
        public_key=signing.public_key_hex()))


def pdf_response(report) -> HttpResponse:
    p = report.period
    name = f"disclosure-{report.estate_id}-{p.year}" + (f"-{p.month:02d}" if p.month else "") + ".pdf"
    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


@estate_page
def disclosure_pdf(request):
    """The report as a PDF in the reader's language (?year=&month=; this year by default)."""
    actor = _reader(request, "disclosure")
    year, month = _period_args(request)
    return pdf_response(public.disclosure_report(estate=actor.estate, year=year, month=month))


urlpatterns = [
    path("ledger/", overview, name="public"),
    path("ledger/entries/", entries, name="entries"),
    path("ledger/entries/<int:entry_id>/", entry, name="entry"),
    path("ledger/documents/<int:document_id>/", document, name="document"),
    path("ledger/disclosure/", disclosure, name="disclosure"),
    path("ledger/disclosure/pdf/", disclosure_pdf, name="disclosure_pdf"),
]
