"""The demo estates' books: a year of fee income, expenses with their invoices, public revenue and its costs and
one use decided by the owners, the maintenance fund (initial deposits, quarterly interest, one completed project
voted by its charge scope and one emergency project), one large expense waiting for the committee, and every
ended month closed with a signed checkpoint.

Everything goes through the services, exactly as finance would enter it, so the demo is also a long integration
test. The fees come from the billing app's demo (``fees``: each bill run and payment posts its own entry); without
it they are posted as monthly summaries (billed, then collected in three instalments). Idempotent: an estate whose
journal has entries is left alone.
"""

import datetime
import io
import math
import random
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor, resolve_actor
from gongzhi.estate.models import Building, House

from . import expenses, fund, fund_projects, public_revenue, services
from .choices import ApprovalDecision, EmergencyKind, EntryKind
from .models import JournalEntry

FEN = Decimal("0.01")
PROPERTY_FEE_PER_M2 = Decimal("2.20")  # 元/m²/月, a common Shanghai rate for a high-rise with elevators
CONSTRUCTION_COST_PER_M2 = "2400"  # the estate's local figure; the deposit is 1/20 of it per m² (DOMAIN.md)
DEPOSIT_PER_M2 = "120.00"

# Monthly operating expenses: (account, payee, description, base amount).
MONTHLY = [
    ("5001", "物业公司", "物业服务人员工资及社保", Decimal("168000")),
    ("5002", "上海洁美保洁服务有限公司", "公共区域保洁外包", Decimal("42000")),
    ("5003", "绿源园林绿化工程有限公司", "绿化养护", Decimal("8500")),
    ("5004", "申安保安服务有限公司", "秩序维护外包", Decimal("56000")),
    ("5006", "国网上海市电力公司", "公共区域电费", Decimal("18600")),
    ("5005", "上海三菱电梯有限公司", "电梯维保", Decimal("9800")),
]
PUBLIC_REVENUE = [  # (source account, payer, description, monthly amount)
    ("4101", "分众传媒", "电梯轿厢广告位租金", Decimal("6800")),
    ("4103", "停车场管理", "地面停车位（共有部分）停车费", Decimal("9600")),
    ("4102", "便民超市", "会所底层商铺租金", Decimal("3000")),
]


def _month_starts(today: datetime.date, n: int) -> list[datetime.date]:
    start = today.replace(day=1)
    months = []
    for _ in range(n):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
        months.append(start)
    return sorted(months)


def invoice_pdf(*, title: str, payee: str, description: str, amount: Decimal, date: datetime.date,
                number: str) -> bytes:
    """A one-page demo invoice with Chinese text (reportlab's CID font: no font file needed)."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=landscape(A5), invariant=1)
    width, height = landscape(A5)
    page.setFont("STSong-Light", 18)
    page.drawCentredString(width / 2, height - 50, title)
    page.setFont("STSong-Light", 11)
    rows = [("发票号码", number), ("开票日期", date.isoformat()), ("收款单位", payee), ("项目", description),
            ("金额（元）", f"{amount:,.2f}"), ("备注", "演示数据，非真实发票")]
    y = height - 95
    for label, value in rows:
        page.drawString(50, y, f"{label}：{value}")
        y -= 24
    page.showPage()
    page.save()
    return buffer.getvalue()


class _Books:
    def __init__(self, estate, today: datetime.date, seed: int):
        self.estate = estate
        self.today = today
        self.rng = random.Random(f"{seed}:{estate.pk}")
        self.finance = self._actor("finance") or self._actor("manager")
        self.manager = self._actor("manager")
        self.chair = self._actor("committee_chair") or self._actor("committee_member")
        self.invoices = 0

    def _actor(self, role: str) -> Actor | None:
        m = (Membership.objects.filter(estate=self.estate, role=role, ended_at__isnull=True)
             .order_by("pk").select_related("user").first())
        return resolve_actor(m.user, self.estate.pk) if m else None

    def invoice(self, *, payee: str, description: str, amount: Decimal, date: datetime.date, title="增值税普通发票"):
        self.invoices += 1
        number = f"{date:%Y%m}{self.estate.pk:02d}{self.invoices:05d}"
        data = invoice_pdf(title=title, payee=payee, description=description, amount=amount, date=date,
                           number=number)
        return SimpleUploadedFile(f"发票-{number}.pdf", data, content_type="application/pdf")

    def vary(self, amount: Decimal, spread: float = 0.06) -> Decimal:
        factor = Decimal(str(1 + self.rng.uniform(-spread, spread)))
        return (amount * factor).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def expense(self, code, payee, description, amount, date, *, approve=True, key=""):
        exp = expenses.expense_submit(
            actor=self.finance, account_code=code, pay_from_code="1002", amount=amount, date=date,
            counterparty=payee, description=description, idempotency_key=key,
            documents=[self.invoice(payee=payee, description=description, amount=amount, date=date)])
        if approve and exp.entry_id is None and self.chair is not None:
            expenses.expense_approve(actor=self.chair, expense_id=exp.pk, note="业委会审核同意")
        return exp

    def post(self, date, kind, description, debit, credit, amount, reference, counterparty=""):
        return services.entry_post(estate=self.estate, actor=self.finance, date=date, kind=kind,
                                   description=description, counterparty=counterparty, reference=reference,
                                   lines=[services.Line(debit, debit=amount), services.Line(credit, credit=amount)])


def seed_ledger(*, estate, today: datetime.date | None = None, seed: int = 2026, fees=None) -> int:
    """Seed the estate's books (see the module docstring); returns the number of entries posted.

    ``fees(estate=, today=)``, when given, seeds the year of bills and payments through the billing app (which
    posts them here, bill run by bill run and payment by payment) before the months are closed; without it the
    fee income is posted as monthly summaries."""
    if JournalEntry.objects.filter(estate=estate).exists():
        return 0
    today = today or timezone.localdate()
    books = _Books(estate, today, seed)
    if books.finance is None:
        return 0
    if estate.rules().get("fund.construction_cost_per_m2", "0") in ("0", 0):
        estate.rule_overrides = {**estate.rule_overrides, "fund.construction_cost_per_m2": CONSTRUCTION_COST_PER_M2}
        estate.save(update_fields=["rule_overrides"])
    months = _month_starts(today, 12)
    with transaction.atomic():
        fund.fund_deposit_initial(actor=books.finance, date=months[0], rate_per_m2=DEPOSIT_PER_M2)
        if fees is not None:
            fees(estate=estate, today=today)
        _year_of_operations(books, months, fee_summaries=fees is None)
        _public_revenue_use(books, months)
        _projects(books, months)
        _waiting_for_the_committee(books)
        while (start := services.next_period_to_close(estate)) is not None:
            services.period_close(actor=books.finance, year=start.year, month=start.month)
    return JournalEntry.objects.filter(estate=estate).count()


def _year_of_operations(books: _Books, months: list[datetime.date], *, fee_summaries: bool = True) -> None:
    estate = books.estate
    # The developer pays for its unsold houses too, so every house is billed.
    area = House.objects.filter(estate=estate).aggregate(a=Sum("area_m2"))["a"] or Decimal("0")
    scale = min(Decimal("1"), (area / Decimal("150000")).quantize(Decimal("0.0001"))) or Decimal("0.05")
    billed_monthly = (area * PROPERTY_FEE_PER_M2).quantize(FEN, rounding=ROUND_HALF_UP)
    for m in months:
        label = f"{m:%Y-%m}"
        collected = (billed_monthly * Decimal(str(books.rng.uniform(0.90, 0.97)))).quantize(FEN)
        if fee_summaries:
            books.post(m, EntryKind.FEE_BILL, f"{m:%Y年%m月}物业费应收", "1122", "4001", billed_monthly,
                       f"demo.fees.bill:{label}")
            parts = [(collected * Decimal("0.55")).quantize(FEN), (collected * Decimal("0.30")).quantize(FEN)]
            parts.append(collected - sum(parts))
            for i, (part, day) in enumerate(zip(parts, (8, 16, 25), strict=True)):
                books.post(m.replace(day=day), EntryKind.FEE_PAYMENT, f"{m:%Y年%m月}物业费收缴（汇总）", "1002",
                           "1122", part, f"demo.fees.paid:{label}:{i}", counterparty="业主")
        for code, payee, description, base in MONTHLY:
            amount = books.vary(base * scale)
            books.expense(code, payee, f"{m:%Y年%m月}{description}", amount, m.replace(day=20),
                          key=f"demo.exp:{label}:{code}")
        books.expense("5008", "物业公司", f"{m:%Y年%m月}酬金（物业费收入的8%）",
                      (billed_monthly * Decimal("0.08")).quantize(FEN), m.replace(day=28), key=f"demo.exp:{label}:5008")
        if m.month == 1:
            books.expense("5007", "中国平安财产保险", "公共责任险年度保费", books.vary(Decimal("12800") * scale),
                          m.replace(day=10), key=f"demo.exp:{label}:5007")
        for code, payer, description, base in PUBLIC_REVENUE:
            amount = books.vary(base * max(scale, Decimal("0.3")), 0.02)
            public_revenue.public_revenue_record(
                actor=books.finance, source_code=code, amount=amount, date=m.replace(day=5), counterparty=payer,
                description=f"{m:%Y年%m月}{description}", idempotency_key=f"demo.pr:{label}:{code}",
                documents=[books.invoice(payee=estate.name, description=description, amount=amount,
                                         date=m.replace(day=5), title="收款收据")])
        cost = (books.vary(Decimal("6800") * max(scale, Decimal("0.3")), 0.02) * Decimal("0.06")).quantize(FEN)
        books.expense("5101", "税务局", f"{m:%Y年%m月}广告收入增值税及附加", cost, m.replace(day=15),
                      key=f"demo.exp:{label}:5101")
        if m.month in (3, 6, 9, 12):
            balance = fund.estate_fund_summary(estate=estate, date_to=m).totals.balance
            interest = (balance * Decimal("0.0035")).quantize(FEN)  # 1.4 % a year on a fixed deposit
            if interest > 0:
                fund.fund_interest_allocate(actor=books.finance, amount=interest, date=m.replace(day=21),
                                            period_label=f"{m.year}Q{(m.month - 1) // 3 + 1}")


def _public_revenue_use(books: _Books, months: list[datetime.date]) -> None:
    if books.chair is None:
        return
    day = months[6].replace(day=18)
    use = expenses.public_revenue_use_submit(
        actor=books.finance, amount=Decimal("45000.00"), date=day, counterparty="上海健身器材有限公司",
        description="更新中心花园健身器材（业主大会决定）", idempotency_key="demo.pr-use:fitness",
        documents=[books.invoice(payee="上海健身器材有限公司", description="健身器材一批", amount=Decimal("45000"),
                                 date=day)])
    houses = House.objects.filter(estate=books.estate)
    total_area = houses.aggregate(a=Sum("area_m2"))["a"]
    heads = houses.count()
    expenses.public_revenue_use_approve(
        actor=books.chair, expense_id=use.pk, note="业主大会表决通过",
        tally=_nested(_passing_tally(total_area, heads)),
        documents=[books.invoice(payee=books.estate.name, description="业主大会表决结果公告", amount=Decimal("0"),
                                 date=day, title="业主大会决议")])


def _passing_tally(area: Decimal, heads: int) -> dict:
    """A tally that passes art. 278 comfortably: about 78 % take part, about 71 % in favour."""
    return {"area_for": str((area * Decimal("0.71")).quantize(FEN)),
            "area_against": str((area * Decimal("0.05")).quantize(FEN)),
            "area_abstain": str((area * Decimal("0.02")).quantize(FEN)), "area_total": str(area),
            "heads_for": math.ceil(heads * 0.71), "heads_against": heads * 5 // 100, "heads_abstain": heads * 2 // 100,
            "heads_total": heads}


def _nested(flat: dict) -> dict:
    return {part: {k: flat[f"{part}_{k}"] for k in ("for", "against", "abstain", "total")} for part in ("area", "heads")}


def _projects(books: _Books, months: list[datetime.date]) -> None:
    estate = books.estate
    buildings = list(Building.objects.filter(estate=estate).order_by("sort_key", "pk"))
    if not buildings or books.chair is None or books.manager is None:
        return
    roof_building = buildings[min(2, len(buildings) - 1)]
    roof = fund_projects.fund_project_propose(
        actor=books.finance, title=f"{roof_building.name}号楼屋面防水翻新",
        description="屋面防水层老化渗漏，整体翻新（SBS 改性沥青卷材两道）。", scope="buildings",
        scope_ids=[roof_building.pk], contractor="上海东方防水工程有限公司",
        items=[("拆除旧防水层及找平", Decimal("38600.00")), ("SBS 防水卷材两道", Decimal("96400.00")),
               ("保护层及排水口", Decimal("21800.00"))], idempotency_key="demo.project:roof")
    scope = list(House.objects.filter(estate=estate, building=roof_building))
    area = sum((h.area_m2 for h in scope), Decimal("0"))
    vote_day = months[4].replace(day=12)
    fund_projects.fund_project_record_approval(
        actor=books.chair, project_id=roof.pk, decision=ApprovalDecision.APPROVED, note="列支范围内业主表决通过",
        tally=_nested(_passing_tally(area, len(scope))),
        documents=[_stored(books, "表决结果公告", Decimal("0"), vote_day, "列支范围业主表决结果")])
    fund_projects.fund_project_start(actor=books.finance, project_id=roof.pk)
    for i, (amount, month) in enumerate(((Decimal("78400.00"), months[5]), (Decimal("78400.00"), months[6]))):
        day = month.replace(day=15)
        fund_projects.fund_project_pay(
            actor=books.finance, project_id=roof.pk, amount=amount, date=day, idempotency_key=f"roof-{i + 1}",
            documents=[_stored(books, "上海东方防水工程有限公司", amount, day, "屋面防水工程进度款")])
    fund_projects.fund_project_complete(actor=books.finance, project_id=roof.pk)

    lift_building = buildings[min(4, len(buildings) - 1)]
    lift = fund_projects.fund_project_propose(
        actor=books.manager, title=f"{lift_building.name}号楼电梯困人故障抢修", emergency=True,
        emergency_kind=EmergencyKind.ELEVATOR, scope="buildings", scope_ids=[lift_building.pk],
        description="曳引机制动器失效致电梯困人，更换制动器及控制板，按应急维修程序先行实施并公示。",
        contractor="上海三菱电梯有限公司", items=[("制动器总成", Decimal("18600.00")), ("主控制板", Decimal("9400.00")),
                                              ("人工及调试", Decimal("3200.00"))],
        idempotency_key="demo.project:lift")
    fund_projects.fund_project_start(actor=books.manager, project_id=lift.pk)
    day = months[10].replace(day=9)
    fund_projects.fund_project_pay(
        actor=books.finance, project_id=lift.pk, amount=Decimal("31200.00"), date=day, idempotency_key="lift-1",
        documents=[_stored(books, "上海三菱电梯有限公司", Decimal("31200.00"), day, "电梯应急维修")])
    fund_projects.fund_project_complete(actor=books.finance, project_id=lift.pk)


def _stored(books: _Books, payee: str, amount: Decimal, day: datetime.date, description: str):
    upload = books.invoice(payee=payee, description=description, amount=amount, date=day)
    return services.document_store(actor=books.finance, upload=upload)


def _waiting_for_the_committee(books: _Books) -> None:
    day = books.today.replace(day=1)
    books.expense("5005", "上海捷通机电设备有限公司", "地下车库排水泵更换（待业委会审批）", Decimal("26800.00"), day,
                  approve=False, key="demo.exp:pending-pump")
