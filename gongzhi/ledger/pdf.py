"""The disclosure report as a PDF, with correct Chinese text.

The text is set in reportlab's CID font STSong-Light (Adobe-GB1, UniGB-UCS2-H): PDF viewers carry the font, so the
file embeds none and stays small, and the text stays text (searchable, copyable, extractable). Labels go through
gettext, so the PDF is in the requester's language (zh-hans by default). Every page's footer carries the page
number and the checkpoint that covers the period (or the warning that it is not closed); the last section prints
the checkpoint in full: chain head, signature and public key, for an owner to check against the published key.

Long tables (the per-house statement of a large estate) are cut into blocks of rows that each fit a page, so
reportlab never has to split a table: that keeps a 2,000-house statement fast.
"""

from decimal import Decimal
from functools import cache
from io import BytesIO

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .disclosure import Category, FundTotals, Report

FONT = "STSong-Light"
ROWS_PER_BLOCK = 40


@cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def amount(value: Decimal) -> str:
    """1234.5 → "1,234.50" (never float, never locale-dependent: a figure reads the same in both languages)."""
    return f"{Decimal(value):,.2f}"


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4,
                             textColor=colors.HexColor("#12332f")),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13),
        "warn": ParagraphStyle("warn", fontName=font, fontSize=10, leading=14, textColor=colors.HexColor("#a31515"),
                               borderColor=colors.HexColor("#a31515"), borderWidth=0.8, borderPadding=4,
                               spaceBefore=4, spaceAfter=6),
        # Hex strings break anywhere (the CJK rule), so a 128-digit signature wraps inside the page.
        "hex": ParagraphStyle("hex", fontName=font, fontSize=8, leading=11, wordWrap="CJK"),
    }


def _table(rows: list[list], widths: list[float], *, header: bool = True, total_rows: tuple[int, ...] = (),
           numeric_from: int = 1):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    style = [("FONT", (0, 0), (-1, -1), _font(), 8.5), ("LEADING", (0, 0), (-1, -1), 11),
             ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7d5")),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efed")),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#12332f"))]
    for r in total_rows:
        style += [("LINEABOVE", (0, r), (-1, r), 0.6, colors.HexColor("#12332f")),
                  ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f4f7f6"))]
    return Table(rows, colWidths=widths, style=TableStyle(style), repeatRows=1 if header else 0)


def _blocks(header: list, rows: list[list], widths: list[float]):
    """A long table as blocks of ROWS_PER_BLOCK rows, each with the header (no table splitting)."""
    for i in range(0, max(len(rows), 1), ROWS_PER_BLOCK):
        yield _table([header, *rows[i:i + ROWS_PER_BLOCK]], widths)


def _categories(title: str, categories: list[Category], total_label: str, total: Decimal) -> list[list]:
    rows = []
    for c in categories:
        rows.append([c.label, "", amount(c.total)])
        rows += [["", f"{a.code} {a.label}", amount(a.amount)] for a in c.accounts]
    rows.append([total_label, "", amount(total)])
    return [[title, _("Account"), _("Amount (yuan)")], *rows]


def _fund_rows(start: FundTotals, during: FundTotals, end: FundTotals) -> list[list]:
    names = [("deposited", _("Initial deposits")), ("topped_up", _("Top-ups")), ("interest", _("Interest")),
             ("used", _("Used")), ("other", _("Other (opening balances, corrections)"))]
    rows = [[_("Maintenance fund"), _("At the start"), _("In the period"), _("At the end")]]
    rows += [[label, amount(getattr(start, n)), amount(getattr(during, n)), amount(getattr(end, n))]
             for n, label in names]
    rows.append([_("Balance"), amount(start.balance), amount(during.balance), amount(end.balance)])
    return rows


def _checkpoint_line(report: Report) -> str:
    cp = report.checkpoint
    if not cp.closed:
        return _("Not closed yet: figures may still change")
    return _("Checkpoint #%(seq)s, chain head %(hash)s…") % {"seq": cp.head_seq, "hash": cp.head_hash[:16]}


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes, in the active language."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    s = _styles()
    font = _font()
    width = A4[0] - 30 * mm
    footer = _checkpoint_line(report)
    heading = _("%(estate)s · disclosure report · %(period)s") % {"estate": report.estate_name,
                                                                   "period": report.period.label}

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(15 * mm, 9 * mm, f"{heading} · {footer}")
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    p = report.period
    story = [
        Paragraph(_("Disclosure report"), s["title"]),
        Paragraph(f"{report.estate_name} · {p.label} ({p.start:%Y-%m-%d} – {p.end:%Y-%m-%d})", s["body"]),
        Paragraph(_("Generated %(time)s from the estate's hash-chained ledger (Civil Code art. 943).")
                  % {"time": formats.date_format(timezone.localtime(report.generated_at), "Y-m-d H:i")},
                  s["body"]),
    ]
    if not report.checkpoint.closed:
        story.append(Paragraph(_("This period is not closed yet: its figures may still change. It rests on the "
                                 "ledger up to entry #%(seq)s.") % {"seq": report.checkpoint.current_seq},
                               s["warn"]))

    story.append(Paragraph(_("Income and expense"), s["h2"]))
    income = _categories(_("Income"), report.income, _("Total income"), report.income_total)
    expense = _categories(_("Expense"), report.expense, _("Total expense"), report.expense_total)
    widths = [width * 0.3, width * 0.5, width * 0.2]
    story += [_table(income, widths, total_rows=(len(income) - 1,), numeric_from=2), Spacer(1, 4),
              _table(expense, widths, total_rows=(len(expense) - 1,), numeric_from=2), Spacer(1, 4),
              _table([[_("Surplus (deficit)"), "", amount(report.surplus)]], widths, header=False, numeric_from=2)]
    if report.by_month:
        rows = [[_("Month"), _("Income"), _("Expense")]]
        rows += [[f"{p.year}-{m.month:02d}", amount(m.income), amount(m.expense)] for m in report.by_month]
        story += [Spacer(1, 6), _table(rows, [width / 3] * 3)]

    pr = report.public_revenue
    story.append(Paragraph(_("Owners' public revenue (Civil Code arts. 282-283)"), s["h2"]))
    rows = [[_("Item"), _("Amount (yuan)")], [_("Balance at the start"), amount(pr.balance_start)]]
    rows += [[_("Income: %(source)s") % {"source": a.label}, amount(a.amount)] for a in pr.income]
    rows += [[_("Cost: %(account)s") % {"account": a.label}, "-" + amount(a.amount)] for a in pr.costs]
    rows += [[_("Net income"), amount(pr.net)], [_("Used by the owners' decision"), "-" + amount(pr.uses)],
             [_("Balance at the end"), amount(pr.balance_end)]]
    story.append(_table(rows, [width * 0.7, width * 0.3], total_rows=(len(rows) - 1,)))

    fund = report.fund
    story.append(Paragraph(_("Maintenance fund"), s["h2"]))
    rows = _fund_rows(fund.start, fund.period, fund.end)
    story.append(_table(rows, [width * 0.4] + [width * 0.2] * 3, total_rows=(len(rows) - 1,)))
    story.append(Paragraph(_("Projects"), s["h2"]))
    if fund.projects:
        rows = [[_("Project"), _("Approval"), _("Budget"), _("Paid in the period"), _("Paid to date")]]
        for pj in fund.projects:
            if pj.emergency:
                decision = _("Emergency: %(kind)s (no vote)") % {"kind": pj.emergency_label}
            elif pj.approval:
                decision = f"{pj.approval['decision_label']} {pj.approval['decided_at']:%Y-%m-%d}"
            else:
                decision = _("No approval recorded")
            rows.append([Paragraph(f"{pj.title} ({pj.status_label})", s["body"]), Paragraph(decision, s["body"]),
                         amount(pj.budget), amount(pj.paid_in_period), amount(pj.paid_to_date)])
        story.append(_table(rows, [width * 0.3, width * 0.25, width * 0.15, width * 0.15, width * 0.15],
                            numeric_from=2))
    else:
        story.append(Paragraph(_("No project was under way or paid in this period."), s["body"]))
    if fund.houses is not None:
        story.append(Paragraph(_("Each house's maintenance fund at the end of the period"), s["h2"]))
        header = [_("House"), _("Area (sq. m)"), _("Deposited"), _("Used"), _("Interest"), _("Balance")]
        rows = [[h.house, f"{h.area_m2:.2f}", amount(h.deposited), amount(h.used), amount(h.interest),
                 amount(h.balance)] for h in fund.houses]
        story += list(_blocks(header, rows, [width / 6] * 6))

    a = report.arrears
    story.append(Paragraph(_("Arrears"), s["h2"]))
    if a.has_billing_data:
        story.append(_table([[_("Item"), _("Amount (yuan)")],
                             [_("Fees receivable (billed, not paid) at the end"), amount(a.receivable)],
                             [_("Fees paid ahead at the end"), amount(a.prepaid)]], [width * 0.7, width * 0.3]))
    else:
        story.append(Paragraph(_("No billing data in the ledger yet."), s["body"]))

    story.append(Paragraph(_("Cash and bank at the end of the period"), s["h2"]))
    rows = [[_("Account"), _("Balance")], *[[f"{c.code} {c.label}", amount(c.amount)] for c in report.cash],
            [_("Total"), amount(report.cash_total)]]
    story.append(_table(rows, [width * 0.7, width * 0.3], total_rows=(len(rows) - 1,)))

    story.append(KeepTogether(_checkpoint_section(report, s, width)))
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=16 * mm, title=heading, author=report.estate_name,
                            subject=_("Disclosure report"), creator="Gongzhi")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _checkpoint_section(report: Report, s, width) -> list:
    from reportlab.platypus import Paragraph

    cp = report.checkpoint
    out = [Paragraph(_("Chain checkpoint"), s["h2"])]
    if not cp.closed:
        out.append(Paragraph(_("Not closed yet: figures may still change. When the period is closed, its "
                               "checkpoint (the signed chain head) is printed here."), s["warn"]))
        return out
    rows = [[_("Period closed"), f"{cp.period_start:%Y-%m-%d} – {cp.period_end:%Y-%m-%d}"],
            [_("Last entry"), f"#{cp.head_seq}"],
            [_("Chain head (SHA-256)"), Paragraph(cp.head_hash, s["hex"])],
            [_("Signature (Ed25519)"), Paragraph(cp.signature, s["hex"])],
            [_("Public key"), Paragraph(cp.public_key, s["hex"])],
            [_("Signed at"), formats.date_format(timezone.localtime(cp.signed_at), "Y-m-d H:i")]]
    out.append(_table(rows, [width * 0.25, width * 0.75], header=False, numeric_from=2))
    out.append(Paragraph(_("The signature covers the chain head: anyone can check it against the public key "
                           "published on the estate's public ledger page, and recompute the chain from the "
                           "downloaded entries."), s["body"]))
    return out
