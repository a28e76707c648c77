"""Public revenue: income from the common parts, its costs, the uses the owners decide, and each house's share by
area (Civil Code arts. 275, 282, 283)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.estate.tests.factories import HouseFactory
from gongzhi.ledger import expenses, public_revenue, services
from gongzhi.ledger.choices import ApprovalDecision, EntryKind, ExpenseStatus
from gongzhi.ledger.models import Approval, Document, ExpenseRequest, JournalEntry
from gongzhi.ledger.tests.conftest import AREAS, yesterday
from gongzhi.notices.tests.factories import PDF_BYTES
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db
TALLY = {"area_for": "300.00", "area_against": "50.25", "area_abstain": "0", "area_total": "425.50",
         "heads_for": 2, "heads_against": 1, "heads_abstain": 0, "heads_total": 3}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="会议纪要.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def income(actor, amount="1000.00", source_code="4101", **fields):
    fields.setdefault("date", yesterday())
    fields.setdefault("counterparty", "分众传媒")
    fields.setdefault("description", "电梯广告 10月")
    return public_revenue.public_revenue_record(actor=actor, source_code=source_code, amount=amount, **fields)


def propose(actor, amount="300.00", **fields):
    fields.setdefault("date", yesterday())
    fields.setdefault("counterparty", "绿源园艺")
    fields.setdefault("description", "中秋活动及补种树木")
    fields.setdefault("documents", [pdf("报价单.pdf")])
    return expenses.public_revenue_use_submit(actor=actor, amount=amount, **fields)


def approve(actor, expense, tally=None, documents=None, **fields):
    return expenses.public_revenue_use_approve(actor=actor, expense_id=expense.pk, tally=tally or TALLY,
                                               documents=[pdf()] if documents is None else documents, **fields)


# --- income --------------------------------------------------------------------------------------------------------
def test_income_is_debited_to_cash_and_credited_to_its_source(books):
    entry = income(books.finance, "1200.50", source_code="4103", received_into="1001", documents=[pdf("合同.pdf")])
    assert entry.kind == EntryKind.PUBLIC_REVENUE and entry.entry_documents.count() == 1
    lines = list(entry.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
    assert lines == [("1001", Decimal("1200.50"), Decimal("0")), ("4103", Decimal("0"), Decimal("1200.50"))]


@pytest.mark.parametrize("changes, field", [
    ({"source_code": "4001"}, "source_code"),
    ({"source_code": "5101"}, "source_code"),
    ({"received_into": "1201"}, "received_into"),
    ({"amount": "0.00"}, "amount"),
    ({"description": ""}, "description"),
])
def test_income_from_anything_but_a_public_revenue_source_is_refused(books, media, changes, field):
    with pytest.raises(DomainError) as error:
        income(books.finance, documents=[pdf()], **changes)
    assert error.value.status == 400 and error.value.detail["field"] == field
    assert not JournalEntry.objects.exists() and not Document.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_income_with_the_same_key_is_recorded_once(books):
    first = income(books.finance, idempotency_key="ad-2026-10")
    assert income(books.finance, "5.00", idempotency_key="ad-2026-10", documents=[pdf()]).pk == first.pk
    assert JournalEntry.objects.count() == 1 and not Document.objects.exists()


@pytest.mark.parametrize("who", ["owner", "chair", "technician", "tenant"])
def test_only_finance_and_the_manager_record_income(books, who):
    with pytest.raises(Forbidden):
        income(getattr(books, who))


# --- the fund's summary ----------------------------------------------------------------------------------------------
def test_the_balance_is_income_less_costs_less_uses_with_reversals_netting_out(books):
    income(books.finance, "1000.00", source_code="4101")
    income(books.finance, "600.00", source_code="4103")
    wrong = income(books.finance, "77.00", source_code="4104")
    services.entry_reverse(actor=books.finance, entry=wrong, reason="录错")
    expenses.expense_submit(actor=books.finance, account_code="5101", pay_from_code="1002", amount="200.00",
                            date=yesterday(), counterparty="广告代理", description="代理佣金", documents=[pdf()])
    approve(books.chair, propose(books.finance, "300.00"))
    summary = public_revenue.fund_summary(estate=books.estate)
    by_source = {s.code: s.amount for s in summary.income}
    assert by_source["4101"] == Decimal("1000.00") and by_source["4103"] == Decimal("600.00")
    assert by_source["4104"] == Decimal("0.00")
    assert (summary.income_total, summary.costs, summary.uses, summary.balance) == (
        Decimal("1600.00"), Decimal("200.00"), Decimal("300.00"), Decimal("1100.00"))


def test_an_opening_credit_to_the_fund_adds_to_its_balance(books):
    services.entry_post(estate=books.estate, actor=books.finance, date=yesterday(), kind=EntryKind.OPENING,
                        description="期初公共收益结余", lines=[services.Line("1002", debit="5000"),
                                                               services.Line("3001", credit="5000")])
    assert public_revenue.fund_summary(estate=books.estate).balance == Decimal("5000.00")


def test_the_summary_is_bounded_by_dates(books):
    earlier = yesterday() - datetime.timedelta(days=1)
    income(books.finance, "100.00", date=earlier)
    income(books.finance, "40.00")
    assert public_revenue.fund_summary(estate=books.estate, date_to=earlier).balance == Decimal("100.00")
    assert public_revenue.fund_summary(estate=books.estate, date_from=yesterday()).income_total == Decimal("40.00")


# --- uses: the owners decide -------------------------------------------------------------------------------------------
def test_any_use_waits_for_the_owners_even_a_small_one(books):
    income(books.finance, "1000.00")
    use = propose(books.finance, "1.00")
    assert use.status == ExpenseStatus.PENDING and use.account.code == "3001"
    assert Notification.objects.filter(user=books.chair.user).exists()
    assert JournalEntry.objects.count() == 1


def test_a_use_above_what_the_fund_has_left_is_refused(books, media):
    income(books.finance, "1000.00")
    propose(books.finance, "700.00")
    with pytest.raises(Conflict) as error:
        propose(books.finance, "300.01")
    assert error.value.code == "public_fund_insufficient" and error.value.detail["available"] == "300.00"
    assert ExpenseRequest.objects.count() == 1 and Document.objects.count() == 1
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1
    assert propose(books.finance, "300.00").status == ExpenseStatus.PENDING


def test_the_owners_decision_is_recorded_with_its_tally_and_minutes_and_the_use_posted(books):
    income(books.finance, "1000.00")
    use = approve(books.committee, propose(books.finance, "300.00"), note="2026年业主大会第2次会议")
    assert use.status == ExpenseStatus.POSTED
    approval = Approval.objects.get()
    assert approval.kind == "public_revenue_use" and approval.decision == ApprovalDecision.APPROVED
    assert approval.tally["area_for"] == "300.00" and approval.tally["heads_total"] == 3
    assert approval.tally["majority"] == "1/2" and approval.rule_set == "national"
    minutes = approval.approval_documents.get().document
    entry = use.entry
    assert entry.kind == EntryKind.PUBLIC_REVENUE_USE and entry.approval == approval
    assert entry.actor_role == "finance"
    lines = list(entry.lines.order_by("line_no").values_list("account__code", "debit", "credit"))
    assert lines == [("3001", Decimal("300.00"), Decimal("0")), ("1002", Decimal("0"), Decimal("300.00"))]
    assert set(entry.entry_documents.values_list("document__name", flat=True)) == {"报价单.pdf", minutes.name}
    assert public_revenue.fund_summary(estate=books.estate).balance == Decimal("700.00")


@pytest.mark.parametrize("changes, field", [
    ({"area_for": "-1"}, "tally.area_for"),
    ({"area_total": "425.505"}, "tally.area_total"),
    ({"heads_for": "1.5"}, "tally.heads_for"),
    ({"heads_against": None}, "tally.heads_against"),
    ({"heads_total": True}, "tally.heads_total"),
    ({"area_for": "abc"}, "tally.area_for"),
    ({"area_against": "200.00"}, "tally"),  # 300 + 200 > 425.50
    ({"heads_abstain": 1}, "tally"),  # 2 + 1 + 1 > 3
    ({"area_total": "0", "area_for": "0", "area_against": "0"}, "tally"),
])
def test_a_bad_tally_is_refused_and_nothing_is_decided(books, changes, field):
    income(books.finance, "1000.00")
    use = propose(books.finance)
    with pytest.raises(DomainError) as error:
        approve(books.chair, use, tally={**TALLY, **changes})
    assert error.value.status == 400 and error.value.detail["field"] == field
    use.refresh_from_db()
    assert use.status == ExpenseStatus.PENDING and not Approval.objects.exists()
    assert Document.objects.count() == 1 and JournalEntry.objects.count() == 1


@pytest.mark.parametrize("changes", [
    # participation below 2/3 of the area (283.66 < 2/3 × 425.50 = 283.666...)
    {"area_for": "283.66", "area_against": "0"},
    # participation below 2/3 of the owners (2 of 4 took part)
    {"heads_total": 4, "heads_against": 0},
    # exactly half the participating area is not "more than half"
    {"area_for": "200.00", "area_against": "200.00"},
    # the heads are split evenly
    {"heads_for": 1, "heads_against": 1},
])
def test_a_tally_that_is_not_an_owners_decision_cannot_approve_but_can_reject(books, changes):
    income(books.finance, "1000.00")
    use = propose(books.finance)
    with pytest.raises(DomainError) as error:
        approve(books.chair, use, tally={**TALLY, **changes})
    assert error.value.code == "tally_not_passed"
    rejected = expenses.public_revenue_use_reject(actor=books.chair, expense_id=use.pk,
                                                  tally={**TALLY, **changes}, documents=[pdf()])
    assert rejected.status == ExpenseStatus.REJECTED and rejected.approval.tally["heads_for"] == {
        **TALLY, **changes}["heads_for"]
    assert JournalEntry.objects.count() == 1


def test_the_decision_document_is_required(books):
    income(books.finance, "1000.00")
    use = propose(books.finance)
    with pytest.raises(DomainError) as error:
        approve(books.chair, use, documents=[])
    assert error.value.code == "decision_document_required"
    assert not Approval.objects.exists()


def test_a_use_that_the_balance_no_longer_covers_is_refused_at_approval(books, media):
    income(books.finance, "1000.00")
    use = propose(books.finance, "900.00")
    expenses.expense_submit(actor=books.finance, account_code="5101", pay_from_code="1002", amount="200.00",
                            date=yesterday(), counterparty="广告代理", description="代理佣金", documents=[pdf()])
    with pytest.raises(Conflict) as error:
        approve(books.chair, use)
    assert error.value.code == "public_fund_insufficient"
    use.refresh_from_db()
    assert use.status == ExpenseStatus.PENDING and not Approval.objects.exists()
    assert Document.objects.count() == 2 and len([p for p in media.rglob("*") if p.is_file()]) == 2


def test_a_use_is_not_approved_as_an_expense_nor_an_expense_as_a_use(books):
    income(books.finance, "1000.00")
    use = propose(books.finance)
    with pytest.raises(Conflict) as error:
        expenses.expense_approve(actor=books.chair, expense_id=use.pk)
    assert error.value.code == "owners_decision_required"
    expense = expenses.expense_submit(actor=books.finance, account_code="5005", pay_from_code="1002",
                                      amount="20000.00", date=yesterday(), counterparty="电梯公司",
                                      description="电梯大修", documents=[pdf()])
    with pytest.raises(Conflict) as error:
        approve(books.chair, expense)
    assert error.value.code == "not_a_public_revenue_use"


def test_the_committee_may_decline_to_put_a_use_to_the_owners(books):
    income(books.finance, "1000.00")
    use = propose(books.finance)
    assert expenses.expense_reject(actor=books.chair, expense_id=use.pk, note="先征求意见").status == "rejected"
    assert not JournalEntry.objects.filter(kind=EntryKind.PUBLIC_REVENUE_USE).exists()


# --- shares by area (art. 283) ------------------------------------------------------------------------------------------
def test_each_house_gets_its_share_by_area_and_the_shares_add_up(books):
    shares = public_revenue.house_shares(estate=books.estate, amount=Decimal("1000.00"))
    assert sum(shares.values()) == Decimal("1000.00")
    # 425.50 m² in all: 89.50 → 210.34..., 120.00 → 282.02..., 75.25 → 176.85..., 140.75 → 330.78...
    assert [shares[h.pk] for h in books.houses] == [Decimal("210.34"), Decimal("282.02"), Decimal("176.85"),
                                                    Decimal("330.79")]


def test_an_owner_sees_the_shares_of_their_own_houses(books):
    income(books.finance, "1000.00")
    mine = public_revenue.my_house_shares(actor=books.owner, balance=Decimal("1000.00"))
    assert [(s.house.pk, s.share) for s in mine] == [(books.houses[0].pk, Decimal("210.34")),
                                                     (books.houses[1].pk, Decimal("282.02"))]
    assert public_revenue.my_house_shares(actor=books.tenant, balance=Decimal("1000.00")) == []


def test_parking_spaces_share_only_when_the_assembly_rules_count_them(books):
    space = HouseFactory(unit=books.houses[0].unit, number="P01", kind="parking", area_m2=Decimal("12.00"))
    assert space.pk not in public_revenue.house_shares(estate=books.estate, amount=Decimal("100.00"))
    books.estate.rule_overrides = {"vote.parking_spaces_count": True}
    books.estate.save()
    shares = public_revenue.house_shares(estate=books.estate, amount=Decimal("100.00"))
    assert space.pk in shares and sum(shares.values()) == Decimal("100.00")


def test_a_deficit_is_shared_the_same_way(books):
    shares = public_revenue.house_shares(estate=books.estate, amount=Decimal("-1000.00"))
    assert sum(shares.values()) == Decimal("-1000.00") and shares[books.houses[3].pk] == Decimal("-330.79")


@pytest.mark.django_db(False)
@settings(max_examples=300, deadline=None)
@given(areas=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2),
                      min_size=1, max_size=60),
       fen=st.integers(min_value=-(10**11), max_value=10**11))
def test_shares_always_add_up_to_the_fen_and_none_is_a_fen_off(areas, fen):
    amount = Decimal(fen) / 100
    weights = list(enumerate(areas, start=1))
    shares = public_revenue.house_shares(estate=None, amount=amount, weights=weights)
    assert sum(shares.values()) == amount
    total = sum(areas)
    for key, area in weights:
        assert abs(shares[key] - amount * area / total) < Decimal("0.01")


def test_no_houses_no_shares(estate):
    assert public_revenue.house_shares(estate=estate, amount=Decimal("10.00")) == {}


def test_the_fixture_areas_are_the_ones_the_expected_shares_assume():
    assert sum(AREAS) == Decimal("425.50")
