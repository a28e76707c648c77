"""The disclosure report against figures worked out by hand for a small ledger.

The story: last year (Y) the estate of the ``books`` world collected fees (one bill still half unpaid, one fee paid
ahead), earned advertising and parking income for the owners, paid a cost of it and spent some of it by the owners'
decision, paid cleaning and security, booked a greening bill by mistake and reversed it, and ran the maintenance
fund: initial deposits (one wrong and reversed), interest, a roof project paid by area over four houses, a top-up,
and an emergency elevator repair. The year before (Y-1) it had one public-revenue income, which is the public
revenue fund's opening balance.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from gongzhi.core.errors import DomainError
from gongzhi.ledger import services
from gongzhi.ledger.chart import house_fund_accounts
from gongzhi.ledger.choices import ApprovalDecision, ApprovalKind, EmergencyKind, EntryKind, FundProjectStatus
from gongzhi.ledger.disclosure import disclosure_report
from gongzhi.ledger.models import Approval, Document, FundProject, FundProjectPayment

pytestmark = pytest.mark.django_db

Y = timezone.localdate().year - 1
D = Decimal


def day(month: int, d: int, year: int = Y) -> datetime.date:
    return datetime.date(year, month, d)


@dataclass
class Ledger:
    books: Any
    fee_payment: Any  # a resident's payment: private counterparty, staff note, public and staff-only documents
    mistake: Any  # the greening bill booked by mistake
    reversal: Any  # ... and its reversal
    roof: Any  # the approved roof project
    elevator: Any  # the emergency repair
    approval: Any
    invoice: Any  # public document of the fee payment
    payslip: Any  # staff-only document of the fee payment
    minutes: Any  # the roof approval's minutes (public)


def book(books, when, kind, description, *lines, **fields):
    return services.entry_post(estate=books.estate, actor=books.finance, date=when, kind=kind,
                               description=description,
                               lines=[services.Line(a, debit=d) if d else services.Line(a, credit=c)
                                      for a, d, c in lines], **fields)


def document(books, name: str, *, staff_only: bool = False, data: bytes = b"%PDF-1.4\n%%EOF\n") -> Document:
    import hashlib

    doc = Document(estate=books.estate, name=name, content_type="application/pdf", size=len(data),
                   sha256=hashlib.sha256(data + name.encode()).hexdigest(), staff_only=staff_only,
                   uploaded_by=books.finance.user)
    doc.file.save(name, ContentFile(data), save=False)
    doc.save()
    return doc


def at(date: datetime.date):
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(10)))


def build_ledger(books) -> Ledger:
    """The small ledger of the story (the figures the tests expect are worked out next to each test)."""
    a, b, c, d = books.houses
    fund = house_fund_accounts(books.estate, books.houses)
    user = books.finance.user
    E = EntryKind
    book(books, day(6, 10, Y - 1), E.PUBLIC_REVENUE, "会所出租", ("1002", "1000", 0), ("4102", 0, "1000"))
    book(books, day(1, 5), E.FUND_DEPOSIT, "首期维修资金", ("1201", "5000", 0), (fund[a.pk], 0, "1000"),
         (fund[b.pk], 0, "1500"), (fund[c.pk], 0, "800"), (fund[d.pk], 0, "1700"))
    wrong = book(books, day(1, 6), E.FUND_DEPOSIT, "重复录入", ("1201", "50", 0), (fund[c.pk], 0, "50"))
    services.entry_reverse(actor=books.finance, entry=wrong, reason="重复", date=day(1, 7))
    invoice, payslip = document(books, "receipt.pdf"), document(books, "payslip.pdf", staff_only=True)
    fee_payment = book(books, day(1, 10), E.FEE_PAYMENT, "1月物业费", ("1002", "1000", 0), ("4001", 0, "1000"),
                       counterparty="张三 1-1-101", counterparty_private=True, staff_note="现金，收据 A-77",
                       documents=[invoice, payslip])
    book(books, day(1, 15), E.PUBLIC_REVENUE, "电梯广告", ("1002", "3000", 0), ("4101", 0, "3000"),
         counterparty="某广告公司")
    book(books, day(1, 20), E.EXPENSE, "保洁外包", ("5002", "800", 0), ("1002", 0, "800"))
    book(books, day(2, 5), E.FEE_BILL, "物业费账单 2月", ("1122", "500", 0), ("4001", 0, "500"))
    book(books, day(2, 15), E.PUBLIC_REVENUE, "共有道路停车", ("1002", "1200", 0), ("4103", 0, "1200"))
    book(books, day(2, 20), E.PUBLIC_REVENUE_COST, "停车管理成本", ("5101", "300", 0), ("1002", 0, "300"))
    book(books, day(2, 20), E.EXPENSE, "秩序维护", ("5004", "600", 0), ("1002", 0, "600"))
    book(books, day(3, 1), E.FEE_PAYMENT, "补缴2月物业费", ("1002", "200", 0), ("1122", 0, "200"))
    book(books, day(3, 2), E.FEE_PAYMENT, "预缴物业费", ("1002", "120", 0), ("2201", 0, "120"))
    mistake = book(books, day(3, 5), E.EXPENSE, "绿化养护（误录）", ("5003", "999", 0), ("1002", 0, "999"))
    reversal = services.entry_reverse(actor=books.finance, entry=mistake, reason="误录", date=day(3, 6))
    book(books, day(3, 10), E.PUBLIC_REVENUE_USE, "业主大会决定：增设健身器材", ("3001", "500", 0),
         ("1002", 0, "500"))
    book(books, day(6, 30), E.FUND_INTEREST, "上半年利息", ("1201", "50", 0), (fund[a.pk], 0, "10"),
         (fund[b.pk], 0, "15"), (fund[c.pk], 0, "8"), (fund[d.pk], 0, "17"))
    minutes = document(books, "minutes.pdf")
    approval = Approval.objects.create(
        estate=books.estate, kind=ApprovalKind.FUND_PROJECT, decision=ApprovalDecision.APPROVED,
        decided_by=books.chair.user, decided_by_role="committee_chair", decided_by_label="李主任 13800000000",
        decided_at=at(day(6, 20)),
        tally={"area": {"for": "425.50", "against": "0.00", "abstain": "0.00", "total": "425.50"},
               "heads": {"for": 3, "against": 0, "abstain": 0, "total": 3}, "passes": True},
        vote_ref="2025-业主大会-3")
    approval.approval_documents.create(estate=books.estate, document=minutes)
    roof = FundProject.objects.create(
        estate=books.estate, title="屋面防水", budget="500.00", proposed_by=user, scope_area_m2="425.50",
        status=FundProjectStatus.COMPLETED, approval=approval, contractor="某防水公司",
        proposed_at=at(day(6, 1)), completed_at=at(day(7, 20)))
    paid = book(books, day(7, 10), E.FUND_USE, "屋面防水工程款", (fund[a.pk], "89.50", 0), (fund[b.pk], "120.00", 0),
                (fund[c.pk], "75.25", 0), (fund[d.pk], "140.75", 0), ("1201", 0, "425.50"), approval=approval)
    FundProjectPayment.objects.create(estate=books.estate, project=roof, amount="425.50", entry=paid)
    book(books, day(8, 1), E.FUND_TOP_UP, "续筹", ("1201", "100", 0), (fund[d.pk], 0, "100"))
    elevator = FundProject.objects.create(
        estate=books.estate, title="1号楼电梯抢修", budget="100.00", proposed_by=user, scope_area_m2="209.50",
        status=FundProjectStatus.IN_PROGRESS, emergency=True, emergency_kind=EmergencyKind.ELEVATOR,
        proposed_at=at(day(9, 10)))
    urgent = book(books, day(9, 15), E.FUND_USE, "电梯抢修", (fund[a.pk], "40", 0), (fund[b.pk], "60", 0),
                  ("1201", 0, "100"))
    FundProjectPayment.objects.create(estate=books.estate, project=elevator, amount="100.00", entry=urgent)
    FundProject.objects.create(estate=books.estate, title="外墙翻新（被否决）", budget="9000.00", proposed_by=user,
                               scope_area_m2="425.50", status=FundProjectStatus.REJECTED,
                               proposed_at=at(day(4, 1)))
    return Ledger(books=books, fee_payment=fee_payment, mistake=mistake, reversal=reversal, roof=roof,
                  elevator=elevator, approval=approval, invoice=invoice, payslip=payslip, minutes=minutes)


@pytest.fixture
def ledger(books, settings, tmp_path) -> Ledger:
    settings.MEDIA_ROOT = tmp_path
    return build_ledger(books)


def close_through(books, last: datetime.date) -> None:
    """Close every month from the first entry's to ``last``'s, in order."""
    while (start := services.next_period_to_close(books.estate)) is not None and start <= last:
        services.period_close(actor=books.finance, year=start.year, month=start.month)


def amounts(rows) -> dict[str, Decimal]:
    return {r.code: r.amount for r in rows}


# --- income and expense --------------------------------------------------------------------------------------------
def test_the_year_s_income_and_expense_by_category_with_the_reversal_netted_out(ledger):
    report = disclosure_report(estate=ledger.books.estate, year=Y)
    fees, public = report.income
    assert (fees.group, amounts(fees.accounts), fees.total) == ("fee_income", {"4001": D("1500.00")}, D("1500.00"))
    # 4102 only moved the year before: it is not part of this year's income.
    assert amounts(public.accounts) == {"4101": D("3000.00"), "4103": D("1200.00")} and public.total == D("4200.00")
    spending, costs = report.expense
    # The mistaken greening bill and its reversal net to zero; the account is still listed (it moved).
    assert amounts(spending.accounts) == {"5002": D("800.00"), "5003": D("0.00"), "5004": D("600.00")}
    assert spending.total == D("1400.00") and amounts(costs.accounts) == {"5101": D("300.00")}
    assert (report.income_total, report.expense_total, report.surplus) == (D("5700.00"), D("1700.00"),
                                                                          D("4000.00"))
    by_month = {m.month: (m.income, m.expense) for m in report.by_month}
    assert by_month[1] == (D("4000.00"), D("800.00")) and by_month[2] == (D("1700.00"), D("900.00"))
    assert by_month[3] == (D("0"), D("0")) and len(by_month) == 12


def test_a_month_shows_only_its_own_entries(ledger):
    report = disclosure_report(estate=ledger.books.estate, year=Y, month=2)
    assert amounts(report.income[0].accounts) == {"4001": D("500.00")}
    assert amounts(report.income[1].accounts) == {"4103": D("1200.00")}
    assert amounts(report.expense[0].accounts) == {"5004": D("600.00")}
    assert amounts(report.expense[1].accounts) == {"5101": D("300.00")}
    assert report.by_month is None and report.period.start == day(2, 1) and report.period.end == day(2, 28)


# --- public revenue ------------------------------------------------------------------------------------------------
def test_public_revenue_income_costs_uses_and_balances(ledger):
    pr = disclosure_report(estate=ledger.books.estate, year=Y).public_revenue
    assert pr.balance_start == D("1000.00")  # last year's rent of the clubhouse
    assert (pr.income_total, pr.costs_total, pr.net, pr.uses) == (D("4200.00"), D("300.00"), D("3900.00"),
                                                                  D("500.00"))
    assert pr.balance_end == D("4400.00") == pr.balance_start + pr.net - pr.uses
    feb = disclosure_report(estate=ledger.books.estate, year=Y, month=2).public_revenue
    assert (feb.balance_start, feb.uses, feb.balance_end) == (D("4000.00"), D("0.00"), D("4900.00"))


# --- maintenance fund ----------------------------------------------------------------------------------------------
def test_fund_totals_by_movement_with_the_reversed_deposit_netted(ledger):
    fund = disclosure_report(estate=ledger.books.estate, year=Y).fund
    assert fund.start.balance == D("0")
    p = fund.period
    assert (p.deposited, p.topped_up, p.interest, p.used, p.other) == (D("5000"), D("100"), D("50"), D("525.50"),
                                                                       D("0"))
    assert fund.end.balance == D("4624.50")
    aug = disclosure_report(estate=ledger.books.estate, year=Y, month=8).fund
    assert (aug.start.deposited, aug.start.used, aug.start.balance) == (D("5000"), D("425.50"), D("4624.50"))
    assert aug.period.topped_up == D("100") and aug.end.balance == D("4724.50")


def test_every_house_s_sub_account_at_the_period_end(ledger):
    houses = disclosure_report(estate=ledger.books.estate, year=Y).fund.houses
    rows = {h.house: (h.deposited, h.used, h.interest, h.balance) for h in houses}
    assert rows == {
        "1-1-101": (D("1000.00"), D("129.50"), D("10.00"), D("880.50")),
        "1-1-102": (D("1500.00"), D("180.00"), D("15.00"), D("1335.00")),
        "2-1-101": (D("800.00"), D("75.25"), D("8.00"), D("732.75")),
        "2-1-102": (D("1800.00"), D("140.75"), D("17.00"), D("1676.25")),
    }
    assert sum(h.balance for h in houses) == D("4624.50")
    jan = disclosure_report(estate=ledger.books.estate, year=Y, month=1).fund.houses
    assert [h.balance for h in jan] == [D("1000.00"), D("1500.00"), D("800.00"), D("1700.00")]


def test_a_house_without_a_sub_account_is_listed_with_zeros(ledger):
    from gongzhi.estate.tests.factories import HouseFactory

    new = HouseFactory(unit=ledger.books.houses[3].unit, number="103", area_m2=D("60.00"))
    row = next(h for h in disclosure_report(estate=ledger.books.estate, year=Y).fund.houses if h.house_id == new.pk)
    assert (row.deposited, row.used, row.interest, row.balance) == (D("0"), D("0"), D("0"), D("0"))


def test_the_projects_of_the_period_with_their_approval_or_emergency_flag(ledger):
    projects = disclosure_report(estate=ledger.books.estate, year=Y).fund.projects
    assert [p.title for p in projects] == ["屋面防水", "1号楼电梯抢修"]  # not the rejected one
    roof, elevator = projects
    assert (roof.budget, roof.paid_in_period, roof.paid_to_date, roof.emergency) == (D("500"), D("425.50"),
                                                                                     D("425.50"), False)
    assert roof.approval["decision"] == "approved" and roof.approval["tally"]["heads"]["for"] == 3
    assert "decided_by" not in roof.approval  # the decider's label may hold a phone number
    assert elevator.emergency and elevator.emergency_label and elevator.approval is None
    assert elevator.paid_in_period == D("100.00")
    # February: nothing under way, nothing paid. July: only the roof; September: only the elevator.
    assert disclosure_report(estate=ledger.books.estate, year=Y, month=2).fund.projects == []
    assert [p.title for p in disclosure_report(estate=ledger.books.estate, year=Y, month=7).fund.projects] == \
        ["屋面防水"]
    assert [p.title for p in disclosure_report(estate=ledger.books.estate, year=Y, month=9).fund.projects] == \
        ["1号楼电梯抢修"]


def test_a_reversed_project_payment_is_taken_back_on_the_reversal_s_date(ledger):
    books = ledger.books
    payment = ledger.elevator.payments.get().entry  # paid 15 September
    services.entry_reverse(actor=books.finance, entry=payment, reason="付错", date=day(10, 5))

    def elevator(**period):
        projects = disclosure_report(estate=books.estate, year=Y, **period).fund.projects
        return next(p for p in projects if p.title == "1号楼电梯抢修")

    assert (elevator(month=9).paid_in_period, elevator(month=9).paid_to_date) == (D("100.00"), D("100.00"))
    assert (elevator(month=10).paid_in_period, elevator(month=10).paid_to_date) == (D("-100.00"), D("0.00"))
    assert (elevator().paid_in_period, elevator().paid_to_date) == (D("0.00"), D("0.00"))
    fund = disclosure_report(estate=books.estate, year=Y).fund
    assert fund.period.used == D("425.50") and fund.end.balance == D("4724.50")


# --- arrears, cash ---------------------------------------------------------------------------------------------------
def test_arrears_from_fees_receivable_and_prepaid(ledger):
    arrears = disclosure_report(estate=ledger.books.estate, year=Y).arrears
    assert (arrears.has_billing_data, arrears.receivable, arrears.prepaid) == (True, D("300.00"), D("120.00"))
    feb = disclosure_report(estate=ledger.books.estate, year=Y, month=2).arrears
    assert (feb.receivable, feb.prepaid) == (D("500.00"), D("0.00"))


def test_no_billing_data_when_neither_account_ever_moved(books, post):
    post(books.finance, "10.00")
    arrears = disclosure_report(estate=books.estate, year=timezone.localdate().year).arrears
    assert arrears.has_billing_data is False and arrears.receivable == D("0")


def test_cash_and_bank_at_the_period_end(ledger):
    cash = amounts(disclosure_report(estate=ledger.books.estate, year=Y).cash)
    assert cash == {"1001": D("0.00"), "1002": D("4320.00"), "1012": D("0.00"), "1201": D("4624.50")}


# --- the checkpoint --------------------------------------------------------------------------------------------------
def test_an_open_period_is_flagged_and_a_closed_one_carries_its_signed_checkpoint(ledger):
    books = ledger.books
    close_through(books, day(2, 1))
    feb = disclosure_report(estate=books.estate, year=Y, month=2).checkpoint
    from gongzhi.ledger.models import Checkpoint

    signed = Checkpoint.objects.get(estate=books.estate, period_start=day(2, 1))
    assert feb.closed and (feb.head_seq, feb.head_hash, feb.signature, feb.public_key) == (
        signed.head_seq, signed.head_hash, signed.signature, signed.public_key)
    year = disclosure_report(estate=books.estate, year=Y).checkpoint
    assert year.closed is False and year.head_seq is None and year.current_seq == signed.head_seq
    close_through(books, day(12, 1))
    year = disclosure_report(estate=books.estate, year=Y).checkpoint
    assert year.closed and year.period_start == day(12, 1)


# --- bad input, cost -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year, month", [(Y + 2, None), (1999, None), ("x", None), (Y, 13), (Y, 0), (Y, "a"),
                                         (Y + 1, 12 if timezone.localdate().month < 12 else 99)])
def test_a_period_that_does_not_exist_or_has_not_started_is_refused(books, year, month):
    with pytest.raises(DomainError) as error:
        disclosure_report(estate=books.estate, year=year, month=month)
    assert error.value.status == 400


def test_the_report_costs_the_same_few_queries_whatever_the_size(ledger, django_assert_max_num_queries):
    books = ledger.books
    with django_assert_max_num_queries(7):
        disclosure_report(estate=books.estate, year=Y)
    for i in range(20):
        book(books, day(10, 1 + i), EntryKind.EXPENSE, f"维修 {i}", ("5005", "10", 0), ("1002", 0, "10"))
    with django_assert_max_num_queries(7):
        report = disclosure_report(estate=books.estate, year=Y)
    assert amounts(report.expense[0].accounts)["5005"] == D("200.00")


def test_another_estate_s_ledger_does_not_count(ledger, other_estate, actor_for):
    theirs = actor_for("finance", other_estate)
    services.entry_post(estate=other_estate, actor=theirs, date=day(5, 5), kind=EntryKind.PUBLIC_REVENUE,
                        description="x", lines=[services.Line("1002", debit="7"), services.Line("4101", credit="7")])
    report = disclosure_report(estate=ledger.books.estate, year=Y)
    assert report.income[1].total == D("4200.00")
    assert disclosure_report(estate=other_estate, year=Y).income[1].total == D("7.00")
