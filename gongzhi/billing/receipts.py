"""Receipts: their numbers (without gaps per estate, taken in ``payments.payment_record``), their voids and their
PDF.

A receipt is never edited or deleted (the database refuses it). A void is a reversing record: ``ReceiptVoid``,
negative allocations (source VOID) that reopen the bills the payment settled, a negative prepayment entry for the
part the payment kept as prepayment, and the ledger's reversal of the payment's entry. The voided receipt keeps
its number, and its PDF is stamped 作废 / VOID.

The PDF is set in reportlab's CID font STSong-Light (as ``gongzhi.ledger.pdf``): the text stays text, in Chinese
and in the requester's language, with the amount in figures and in Chinese capitals (大写金额).
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.ledger.models import JournalEntry
from gongzhi.ledger.services import entry_reverse

from .choices import AllocationSource, PaymentMethod, PrepaymentKind
from .errors import invalid
from .models import Bill, PaymentAllocation, PrepaymentEntry, Receipt, ReceiptVoid
from .payments import bill_status, clean_text, fen, lock_account, money, payment_reference
from .policies import PaymentPolicy

FONT = "STSong-Light"
DIGITS = "零壹贰叁肆伍陆柒捌玖"
GROUP_UNITS = ("", "万", "亿", "万亿")
MAX_UPPER = Decimal("9999999999999999.99")


# --- 大写金额 ------------------------------------------------------------------------------------------------------
def _four(n: int) -> str:
    """1..9999 in capitals, with inner zeros read once (1005 → 壹仟零伍) and trailing zeros dropped."""
    text, zero = "", False
    for size, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = n // size % 10
        if digit == 0:
            zero = zero or bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + unit
    return text


def rmb_upper(value) -> str:
    """An amount of yuan in Chinese capitals as written on receipts and cheques (中文大写金额):
    260.70 → 贰佰陆拾元柒角整, 1005.05 → 壹仟零伍元零伍分, 100010 → 壹拾万零壹拾元整, 0 → 零元整.
    Rounded to the fen (ROUND_HALF_UP); a negative amount is prefixed 负."""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(amount) > MAX_UPPER:
        raise ValueError("amount too large")
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = pending_zero or bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        pending_zero = False
        text += _four(group) + GROUP_UNITS[index]
    if yuan:
        text += "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            text += "零"
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text


# --- voids -------------------------------------------------------------------------------------------------------
def receipt_void(*, actor: Actor, receipt: Receipt, reason: str) -> ReceiptVoid:
    """Void ``receipt`` by a reversing record; return the void (voiding twice returns the first void).

    The bills the payment settled are reopened, the part it kept as prepayment is taken back, and the ledger
    entry is reversed. If that prepayment has since been drawn into bills or refunded, the balance would go below
    zero: refused (409 ``prepayment_used``), with what to do instead."""
    if not PaymentPolicy.can(actor, "void"):
        raise Forbidden()
    if receipt.estate_id != actor.estate.pk:
        raise NotFound()
    reason = clean_text("reason", reason, 200, required=True)
    existing = ReceiptVoid.objects.filter(receipt=receipt).first()
    if existing is not None:
        return existing
    estate = actor.estate
    with transaction.atomic():
        account = lock_account(receipt.house)
        existing = ReceiptVoid.objects.filter(receipt=receipt).first()
        if existing is not None:
            return existing
        payment = receipt.payment
        by_bill: dict[int, Decimal] = defaultdict(Decimal)
        for bill_id, amount in PaymentAllocation.objects.filter(payment=payment).values_list("bill_id", "amount"):
            by_bill[bill_id] += amount
        deposit = fen(PrepaymentEntry.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"])
        if deposit > account.prepaid:
            raise Conflict(
                _("This payment kept %(deposit)s yuan as prepayment, but the house's prepayment balance is only "
                  "%(balance)s yuan now: part of it was applied to bills or refunded since. Voiding would take the "
                  "balance below zero. Record a correcting adjustment on the bills instead, or record the money "
                  "that restores the balance first and then void."),
                code="prepayment_used", detail={"deposit": money(deposit), "balance": money(account.prepaid)},
                deposit=money(deposit), balance=money(account.prepaid))
        now = timezone.now()
        void = ReceiptVoid.objects.create(estate=estate, receipt=receipt, reason=reason, actor=actor.user,
                                          created_at=now)
        bills = list(Bill.objects.filter(pk__in=list(by_bill)).order_by("id"))
        PaymentAllocation.objects.bulk_create([
            PaymentAllocation(estate=estate, bill=bill, payment=payment, source=AllocationSource.VOID,
                              amount=-by_bill[bill.pk], created_at=now)
            for bill in bills if by_bill[bill.pk] != 0])
        for bill in bills:
            bill.settled -= by_bill[bill.pk]
            bill.status = bill_status(bill)
        if bills:
            Bill.objects.bulk_update(bills, ["settled", "status"])
        if deposit > 0:
            PrepaymentEntry.objects.create(estate=estate, house_id=receipt.house_id, kind=PrepaymentKind.VOID,
                                           amount=-deposit, payment=payment, created_at=now)
            account.prepaid -= deposit
            account.save(update_fields=["prepaid", "updated_at"])
        entry = JournalEntry.objects.filter(estate=estate, reference=payment_reference(payment)).first()
        if entry is not None:
            entry_reverse(actor=actor, entry=entry,
                          reason=str(_("Receipt %(number)s voided: %(reason)s")
                                     % {"number": receipt.display_number, "reason": reason}))
        audit(user=actor.user, estate=estate, action="billing.receipt_void", obj=receipt,
              after={"reason": reason, "bills": sorted(by_bill), "prepaid": money(deposit),
                     "amount": money(receipt.amount)}, label=receipt.display_number)
    return void


# --- selectors ---------------------------------------------------------------------------------------------------
def receipt_list(*, actor: Actor, house=None):
    qs = (Receipt.objects.restrict(actor, "view")
          .select_related("house__building", "house__unit", "payment", "void").order_by("-id"))
    if house is not None:
        qs = qs.filter(house=house)
    return qs


def receipt_get_for_actor(*, actor: Actor, receipt_id) -> Receipt:
    """One receipt the actor may see (staff: any of the estate; a resident: their houses'); 404 otherwise."""
    try:
        pk = int(receipt_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    receipt = (Receipt.objects.restrict(actor, "view")
               .select_related("house__building", "house__unit", "payment", "void", "estate").filter(pk=pk).first())
    if receipt is None:
        raise NotFound()
    return receipt


def receipt_void_of(receipt: Receipt) -> ReceiptVoid | None:
    try:
        return receipt.void
    except ReceiptVoid.DoesNotExist:
        return None


# --- PDF ---------------------------------------------------------------------------------------------------------
def _font() -> str:
    from gongzhi.ledger.pdf import _font as ledger_font

    return ledger_font()


def method_label(method: str) -> str:
    try:
        return str(PaymentMethod(method).label)
    except ValueError:
        return method


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a one-page PDF (A5 landscape), in the active language; 作废 / VOID across a voided one."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    detail = receipt.detail or {}
    void = receipt_void_of(receipt)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, alignment=1, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    issued = timezone.localtime(receipt.issued_at)
    head = [
        [gettext("Estate"), detail.get("estate", ""), gettext("Receipt no."), receipt.display_number],
        [gettext("House"), detail.get("house", ""), gettext("Date"), f"{issued:%Y-%m-%d %H:%M}"],
        [gettext("Payer"), receipt.payer_name or "—", gettext("Method"), method_label(detail.get("method", ""))],
    ]
    if detail.get("reference"):
        head.append([gettext("Reference"), detail["reference"], "", ""])
    rows = [[gettext("Bill"), gettext("Period"), gettext("Fee"), gettext("Amount (yuan)")]]
    for bill in detail.get("bills", []):
        rows.append([f"#{bill['bill_id']}", f"{bill['period_start']} – {bill['period_end']}",
                     bill.get("description", ""), f"{Decimal(bill['settled']):,.2f}"])
    if Decimal(detail.get("prepaid", "0")) > 0:
        rows.append(["", "", gettext("Kept as prepayment"), f"{Decimal(detail['prepaid']):,.2f}"])
    rows.append(["", "", gettext("Total"), f"{receipt.amount:,.2f}"])
    grid = colors.HexColor("#d0d7d5")
    head_table = Table(head, colWidths=[22 * mm, 68 * mm, 24 * mm, 60 * mm], style=TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9), ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#4a5a57")),
        ("TEXTCOLOR", (2, 0), (2, -1), colors.HexColor("#4a5a57"))]))
    bill_table = Table(rows, colWidths=[20 * mm, 52 * mm, 62 * mm, 40 * mm], repeatRows=1, style=TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9), ("ALIGN", (3, 0), (3, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efed")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor("#12332f"))]))
    story = [
        Paragraph(gettext("Receipt") + " · 收款收据", title),
        head_table, Spacer(1, 4 * mm), bill_table, Spacer(1, 4 * mm),
        Paragraph(gettext("Amount in figures: ¥%(amount)s") % {"amount": f"{receipt.amount:,.2f}"}, body),
        Paragraph(gettext("Amount in words (大写): %(upper)s") % {"upper": rmb_upper(receipt.amount)}, body),
    ]
    if void is not None:
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph(gettext("Voided on %(date)s: %(reason)s")
                               % {"date": f"{timezone.localtime(void.created_at):%Y-%m-%d}", "reason": void.reason},
                               body))

    def stamp(canvas, doc):
        if void is None:
            return
        canvas.saveState()
        canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.35))
        canvas.setStrokeColor(colors.Color(0.75, 0.1, 0.1, alpha=0.6))
        canvas.translate(doc.pagesize[0] / 2, doc.pagesize[1] / 2)
        canvas.rotate(20)
        canvas.setFont(font, 48)
        canvas.drawCentredString(0, -16, "作废 VOID")
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A5), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=10 * mm, bottomMargin=10 * mm, title=f"{receipt.display_number}",
                            author=detail.get("estate", ""))
    doc.build(story, onFirstPage=stamp, onLaterPages=stamp)
    return buffer.getvalue()


def receipt_pdf_filename(receipt: Receipt) -> str:
    return f"receipt-{receipt.display_number}.pdf"


__all__ = ["invalid", "receipt_get_for_actor", "receipt_list", "receipt_void", "render_receipt_pdf", "rmb_upper"]
