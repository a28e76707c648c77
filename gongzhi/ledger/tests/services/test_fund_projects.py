"""Maintenance-fund projects: proposal with a frozen charge scope, the owners' decision checked against Civil Code
art. 278, emergencies, payments split by area to the fen, the budget, the states."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.estate.tests.factories import BuildingFactory, HouseFactory, UnitFactory
from gongzhi.ledger import fund, services
from gongzhi.ledger.chart import fund_code
from gongzhi.ledger.choices import ApprovalDecision, EntryKind, FundProjectStatus
from gongzhi.ledger.fund_projects import (
    TRANSITIONS,
    fund_project_cancel,
    fund_project_complete,
    fund_project_get,
    fund_project_list,
    fund_project_pay,
    fund_project_propose,
    fund_project_record_approval,
    fund_project_start,
    project_view,
)
from gongzhi.ledger.models import Approval, Document, FundProject, FundProjectHouse, JournalEntry
from gongzhi.ledger.split import split_by_weight
from gongzhi.ledger.tests.conftest import yesterday

pytestmark = pytest.mark.django_db
D = Decimal
S = FundProjectStatus


def document(books, name="业主大会决议.pdf") -> Document:
    return Document.objects.create(estate=books.estate, file=f"ledger/{books.estate.pk}/{name}", name=name,
                                   content_type="application/pdf", size=10, sha256=name.encode().hex()[:64].ljust(64, "0"),
                                   uploaded_by=books.finance.user)


def propose(books, actor=None, **kwargs):
    kwargs.setdefault("title", "1号楼屋面防水 Roof waterproofing")
    kwargs.setdefault("items", [("防水层 membrane", "3000.00"), ("脚手架 scaffolding", "1000.50")])
    return fund_project_propose(actor=actor or books.manager, **kwargs)


def tally(area_for, area_against, heads_for, heads_against, heads_total, area_abstain="0", heads_abstain=0):
    return {"area": {"for": area_for, "against": area_against, "abstain": area_abstain},
            "heads": {"for": heads_for, "against": heads_against, "abstain": heads_abstain, "total": heads_total}}


def approve(books, project, t=None, decision=ApprovalDecision.APPROVED, **kwargs):
    kwargs.setdefault("documents", [document(books)])
    return fund_project_record_approval(actor=books.chair, project_id=project.pk, decision=decision,
                                        tally=t or tally("425.50", "0", 3, 0, 3), **kwargs)


def running(books, **kwargs):
    """A project approved and started, the four houses funded with 1,000 each."""
    for house in books.houses:
        fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="1000", date=yesterday(),
                         idempotency_key=f"seed-{house.pk}")
    project = propose(books, **kwargs)
    n = FundProjectHouse.objects.filter(project=project).count()
    approve(books, project, tally(str(project.scope_area_m2), "0", n, 0, n))
    return fund_project_start(actor=books.finance, project_id=project.pk)


def pay(books, project, amount, key="inv-1", **kwargs):
    kwargs.setdefault("documents", [document(books, f"发票-{key}.pdf")])
    return fund_project_pay(actor=books.finance, project_id=project.pk, amount=amount, date=yesterday(),
                            idempotency_key=key, **kwargs)


# --- proposal ----------------------------------------------------------------------------------------------------
def test_a_proposal_sums_its_items_and_freezes_the_scope_with_each_area(books):
    project = propose(books)
    assert (project.budget, project.status, project.scope_area_m2) == (D("4000.50"), S.PROPOSED, D("425.50"))
    frozen = dict(FundProjectHouse.objects.filter(project=project).values_list("house_id", "area_m2"))
    assert frozen == {h.pk: h.area_m2 for h in books.houses}
    # a later change of a house's area changes nothing the project froze
    books.houses[0].area_m2 = D("200.00")
    books.houses[0].save()
    assert FundProjectHouse.objects.get(project=project, house=books.houses[0]).area_m2 == D("89.50")


@pytest.mark.parametrize("scope, pick, expected", [
    ("buildings", lambda b: [b.houses[0].building_id], [0, 1]),
    ("units", lambda b: [b.houses[2].unit_id], [2, 3]),
    ("houses", lambda b: [b.houses[1].pk, b.houses[3].pk], [1, 3]),
])
def test_the_scope_may_be_buildings_units_or_houses(books, scope, pick, expected):
    project = propose(books, scope=scope, scope_ids=pick(books))
    assert sorted(FundProjectHouse.objects.filter(project=project).values_list("house_id", flat=True)) == [
        books.houses[i].pk for i in expected]
    assert project.scope_area_m2 == sum(books.houses[i].area_m2 for i in expected)


@pytest.mark.parametrize("changes, field", [
    ({"items": []}, "items"),
    ({"items": [("x", "0")]}, "items[1].amount"),
    ({"items": [("", "5")]}, "items[1].description"),
    ({"items": [("x", "1.005")]}, "items[1].amount"),
    ({"title": ""}, "title"),
    ({"scope": "galaxy"}, "scope"),
    ({"scope": "buildings", "scope_ids": []}, "scope_ids"),
    ({"scope": "houses", "scope_ids": [10**9]}, "scope_ids"),
    ({"emergency": True}, "emergency_kind"),
    ({"emergency_kind": "elevator"}, "emergency_kind"),
])
def test_bad_proposals_write_nothing(books, changes, field):
    with pytest.raises(DomainError) as error:
        propose(books, **changes)
    assert error.value.status == 400 and error.value.detail["field"] == field
    assert not FundProject.objects.exists() and not FundProjectHouse.objects.exists()


def test_another_estates_building_is_not_a_scope(books, other_estate):
    theirs = BuildingFactory(estate=other_estate)
    with pytest.raises(DomainError):
        propose(books, scope="buildings", scope_ids=[theirs.pk])


def test_a_retried_proposal_is_the_same_project(books):
    first = propose(books, idempotency_key="p-1")
    assert propose(books, idempotency_key="p-1").pk == first.pk
    with pytest.raises(Conflict) as error:
        propose(books, idempotency_key="p-1", title="another")
    assert error.value.code == "idempotency_key_reused" and "1号楼屋面防水" in error.value.text("en")
    assert FundProject.objects.count() == 1


def test_only_finance_and_the_manager_propose(books):
    for actor in (books.owner, books.chair, books.technician):
        with pytest.raises(Forbidden):
            propose(books, actor=actor)


# --- emergencies -------------------------------------------------------------------------------------------------
def test_an_emergency_skips_the_vote_and_is_flagged_with_its_approval(books):
    project = propose(books, emergency=True, emergency_kind="elevator", title="电梯困人抢修 Elevator")
    assert (project.status, project.emergency, project.emergency_kind) == (S.APPROVED, True, "elevator")
    approval = project.approval
    assert (approval.kind, approval.decision, approval.tally) == ("fund_project", "approved", None)
    assert approval.decided_by == books.manager.user and approval.decided_by_role == "manager"
    assert "Elevator fault" in approval.note or "电梯" in approval.note
    with pytest.raises(Conflict):
        approve(books, project)
    # it pays like any approved project, the entry carrying the emergency approval
    fund_project_start(actor=books.finance, project_id=project.pk)
    result = pay(books, project, "100.00")
    assert result.payment.entry.approval_id == approval.pk
    assert [p.emergency for p in fund_project_list(actor=books.owner)] == [True]


def test_only_the_manager_declares_an_emergency(books):
    with pytest.raises(Forbidden):
        propose(books, actor=books.finance, emergency=True, emergency_kind="pump")
    assert not FundProject.objects.exists()


# --- the owners' decision: Civil Code art. 278 -------------------------------------------------------------------
@pytest.fixture
def nine(books):
    """A building of nine houses of 100 m²: the scope's area is 900.00 and its headcount 9, so 2/3 is exactly
    600.00 m² and 6 owners."""
    unit = UnitFactory(building=BuildingFactory(estate=books.estate, name="9"), name="1")
    houses = [HouseFactory(unit=unit, number=f"10{i}", area_m2=D("100.00")) for i in range(1, 10)]
    project = propose(books, scope="buildings", scope_ids=[unit.building_id])
    assert project.scope_area_m2 == D("900.00")
    return project, houses


@pytest.mark.parametrize("part_area, part_heads, for_area, for_heads, passes", [
    ("600.00", 6, "400.00", 4, True),  # participation exactly 2/3 of area and heads
    ("599.99", 6, "400.00", 4, False),  # area a fen's worth below 2/3
    ("600.00", 5, "400.00", 4, False),  # headcount below 2/3
    ("600.00", 6, "300.00", 4, False),  # exactly half the participating area: not MORE than half
    ("600.00", 6, "300.01", 4, True),  # just above half
    ("600.00", 6, "400.00", 3, False),  # exactly half the participating owners
    ("900.00", 9, "450.01", 5, True),  # everyone took part, just above half
])
def test_the_tally_is_checked_at_its_boundaries(books, nine, part_area, part_heads, for_area, for_heads, passes):
    project, _houses = nine
    t = tally(for_area, str(D(part_area) - D(for_area)), for_heads, part_heads - for_heads, 9)
    if passes:
        approval = approve(books, project, t)
        assert approval.tally["passes"] is True
        assert FundProject.objects.get(pk=project.pk).status == S.APPROVED
    else:
        with pytest.raises(DomainError) as error:
            approve(books, project, t)
        assert error.value.code == "tally_does_not_pass" and error.value.status == 400
        assert error.value.detail["passes"] is False
        assert error.value.text("en").startswith("The tally does not pass Civil Code art. 278: ")
        assert not Approval.objects.exists()
        assert FundProject.objects.get(pk=project.pk).status == S.PROPOSED


def test_abstentions_count_as_taking_part_not_as_approval(books, nine):
    project, _houses = nine
    # 600 m² / 6 owners took part: 300.01 / 4 for, 0 against, the rest abstained
    approval = approve(books, project, tally("300.01", "0", 4, 0, 9, area_abstain="299.99", heads_abstain=2))
    assert approval.tally["area"]["participating"] == "600.00" and approval.tally["heads"]["participating"] == 6


@pytest.mark.parametrize("for_area, for_heads, passes", [
    ("600.00", 6, True),  # exactly 2/3 of the scope for
    ("599.99", 6, False),
    ("600.00", 5, False),
    ("500.00", 5, False),  # everyone took part and a majority approved: enough nationally, not here
])
def test_where_the_jurisdiction_requires_it_two_thirds_of_the_scope_must_vote_for(books, nine, for_area, for_heads,
                                                                                 passes):
    project, _houses = nine
    books.chair.estate.rule_overrides = {"fund.use_needs_two_thirds_of_scope": True}
    t = tally(for_area, str(D("900.00") - D(for_area)), for_heads, 9 - for_heads, 9)
    if passes:
        approval = approve(books, project, t)
        assert approval.tally["rules"]["two_thirds_of_scope"] is True
        assert approval.rule_set == "national+local"
    else:
        with pytest.raises(DomainError) as error:
            approve(books, project, t)
        assert error.value.code == "tally_does_not_pass"


def test_the_decision_records_the_rule_set_the_tally_and_its_document(books):
    project = propose(books)
    decision = document(books, "决议.pdf")
    approval = approve(books, project, tally("425.50", "0", 3, 0, 3), documents=[decision], note="2025年第1次")
    assert approval.rule_set == "national" and approval.decided_by_role == "committee_chair"
    assert approval.tally["rules"] == {"participation_area": "2/3", "participation_heads": "2/3", "majority": "1/2",
                                       "two_thirds_of_scope": False}
    assert [d.document_id for d in approval.approval_documents.all()] == [decision.pk]
    project.refresh_from_db()
    assert (project.status, project.approval_id) == (S.APPROVED, approval.pk)


@pytest.mark.parametrize("t, field", [
    (tally("425.50", "0", 3, 0, 5), "tally.heads.total"),  # more owners than houses
    (tally("425.50", "0", 3, 0, 0), "tally.heads.total"),
    (tally("400.00", "100.00", 3, 0, 3), "tally.area"),  # more area than the scope
    (tally("425.50", "0", 3, 1, 3), "tally.heads"),
    (tally("-1", "0", 3, 0, 3), "tally.area.for"),
    (tally("1.005", "0", 3, 0, 3), "tally.area.for"),
    (tally("425.50", "0", "2.5", 0, 3), "tally.heads.for"),
    ({"area": {"for": "425.50", "total": "500.00"}, "heads": {"for": 3, "total": 3}}, "tally.area.total"),
])
def test_an_impossible_tally_is_refused(books, t, field):
    project = propose(books)
    with pytest.raises(DomainError) as error:
        approve(books, project, t)
    assert error.value.detail["field"] == field
    assert not Approval.objects.exists()


def test_the_decision_document_is_required_and_only_the_committee_records(books):
    project = propose(books)
    with pytest.raises(DomainError) as error:
        approve(books, project, documents=[])
    assert error.value.detail["field"] == "documents"
    with pytest.raises(Forbidden):
        fund_project_record_approval(actor=books.finance, project_id=project.pk, decision="approved",
                                     tally=tally("425.50", "0", 3, 0, 3), documents=[document(books)])


def test_a_rejection_is_recorded_and_needs_a_reason_when_the_tally_passed(books):
    project = propose(books)
    with pytest.raises(DomainError) as error:
        approve(books, project, decision=ApprovalDecision.REJECTED)
    assert error.value.detail["field"] == "note"
    approve(books, project, tally("100.00", "325.50", 1, 2, 3), decision=ApprovalDecision.REJECTED)
    project.refresh_from_db()
    assert project.status == S.REJECTED
    with pytest.raises(Conflict):
        fund_project_start(actor=books.finance, project_id=project.pk)


# --- payments ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount, shares", [
    # 10000 fen × area / 425.50: 2103.41, 2820.21, 1768.51, 3307.87 → floors 9998, the 2 fen left go to the largest
    # remainders (.87 and .51)
    ("100.00", ["21.03", "28.20", "17.69", "33.08"]),
    # one fen goes to the largest remainder (0.33 of a fen, the largest house)
    ("0.01", ["0", "0", "0", "0.01"]),
    ("0.03", ["0.01", "0.01", "0", "0.01"]),
    ("425.50", ["89.50", "120.00", "75.25", "140.75"]),
    ("12345.67", ["2596.80", "3481.74", "2183.34", "4083.79"]),
])
def test_a_payment_is_split_over_the_scope_by_area_to_the_fen(books, amount, shares):
    project = running(books, items=[("x", "20000")])
    result = pay(books, project, amount)
    entry = result.payment.entry
    assert entry.kind == EntryKind.FUND_USE and entry.reference == f"fund.project:{project.pk}:payment:inv-1"
    lines = {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.select_related("account")}
    expected = {fund_code(h.pk): (D(s), D("0")) for h, s in zip(books.houses, shares, strict=True) if D(s) > 0}
    assert lines == {**expected, "1201": (D("0"), D(amount))}
    assert sum(D(s) for s in shares) == D(amount)
    assert entry.counterparty == project.contractor and entry.approval_id == project.approval_id
    assert [d.document.name for d in entry.entry_documents.select_related("document")] == ["发票-inv-1.pdf"]


def test_payments_may_not_exceed_the_budget(books):
    project = running(books)  # budget 4000.50
    pay(books, project, "4000.00", key="a")
    with pytest.raises(Conflict) as error:
        pay(books, project, "0.51", key="b")
    assert error.value.code == "over_budget" and error.value.detail["left"] == "0.50"
    assert error.value.text("en") == ("The payment of 0.51 would exceed the budget: 4000.00 of 4000.50 is paid, "
                                      "0.50 is left.")
    pay(books, project, "0.50", key="c")
    assert project_view(actor=books.finance, project=project).left == D("0.00")


def test_a_reversed_payment_frees_its_budget(books):
    project = running(books)
    first = pay(books, project, "4000.50", key="a")
    services.entry_reverse(actor=books.finance, entry=first.payment.entry, reason="发票作废 void invoice")
    assert pay(books, project, "4000.50", key="b").created


def test_a_retried_payment_posts_once_and_a_reused_key_is_a_conflict(books):
    project = running(books)
    first = pay(books, project, "100.00")
    again = pay(books, project, "100.00")
    assert again.payment.pk == first.payment.pk and not again.created
    assert again.shares == first.shares
    with pytest.raises(Conflict) as error:
        pay(books, project, "100.01")
    assert error.value.code == "idempotency_key_reused"
    assert error.value.text("en").startswith("This key was already used for a different payment (entry #")
    assert JournalEntry.objects.filter(kind=EntryKind.FUND_USE).count() == 1


def test_a_payment_needs_the_invoice(books):
    project = running(books)
    with pytest.raises(DomainError) as error:
        pay(books, project, "10", documents=[])
    assert error.value.detail["field"] == "documents"
    assert not JournalEntry.objects.filter(kind=EntryKind.FUND_USE).exists()


def test_a_house_may_go_below_zero_and_it_is_reported(books):
    """The contractor is paid from the scope's pool; a house short of money is reported, not skipped."""
    project = propose(books, items=[("x", "5000")])
    approve(books, project)
    fund_project_start(actor=books.manager, project_id=project.pk)
    fund.fund_top_up(actor=books.finance, house_id=books.houses[1].pk, amount="5000", date=yesterday(),
                     idempotency_key="rich")
    result = pay(books, project, "425.50")
    assert result.shortfalls == {books.houses[0].pk: D("-89.50"), books.houses[2].pk: D("-75.25"),
                                 books.houses[3].pk: D("-140.75")}
    statement = fund.house_statement(actor=books.owner, house_id=books.houses[0].pk)
    assert statement.totals.balance == D("-89.50") and statement.lines[-1].project_id == project.pk


def test_two_thousand_houses_share_a_payment_in_one_entry(books):
    from gongzhi.estate.models import House

    unit = books.houses[0].unit
    House.objects.bulk_create([House(estate=books.estate, building=unit.building, unit=unit, number=f"9{i:04d}",
                                     area_m2=D("77.77") + i % 7) for i in range(1996)])
    project = running(books, items=[("电梯更换 elevators", "1000000.00")])
    result = pay(books, project, "999999.99")
    assert len(result.shares) == 2000 and sum(result.shares.values()) == D("999999.99")
    assert result.payment.entry.lines.count() == 2001


# --- the remainder rule, for any input ----------------------------------------------------------------------------
areas = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(amount=st.decimals(min_value=D("0"), max_value=D("99999999.99"), places=2),
       weights=st.lists(areas, min_size=1, max_size=40), seed=st.randoms())
def test_shares_sum_to_the_payment_each_within_a_fen_of_exact_whatever_the_order(amount, weights, seed):
    from fractions import Fraction

    pairs = list(enumerate(weights, start=1))
    shares = split_by_weight(amount, pairs)
    assert sum(shares.values()) == amount
    total = sum(Fraction(w) for _k, w in pairs)
    for key, weight in pairs:
        assert abs(Fraction(shares[key]) - Fraction(amount) * Fraction(weight) / total) < Fraction(1, 100)
        assert shares[key] >= 0
    shuffled = pairs[:]
    seed.shuffle(shuffled)
    assert split_by_weight(amount, shuffled) == shares


# --- states ------------------------------------------------------------------------------------------------------
def test_the_states_follow_the_table(books):
    project = propose(books)
    with pytest.raises(Conflict):
        fund_project_start(actor=books.finance, project_id=project.pk)  # not approved yet
    with pytest.raises(Conflict):
        pay(books, project, "1")
    approve(books, project)
    with pytest.raises(Conflict):
        fund_project_complete(actor=books.finance, project_id=project.pk)  # not started
    with pytest.raises(Conflict) as error:
        pay(books, project, "1")  # approved but not started
    assert error.value.code == "project_state" and error.value.status == 409
    assert error.value.text("en") == "A project that is Approved cannot be paid."
    fund_project_start(actor=books.finance, project_id=project.pk)
    pay(books, project, "100", key="progress")
    done = fund_project_complete(actor=books.finance, project_id=project.pk)
    assert done.status == S.COMPLETED and done.completed_at is not None
    pay(books, project, "50", key="retention")  # the retention money, paid when the warranty ends
    for action in (fund_project_start, fund_project_complete):
        with pytest.raises(Conflict):
            action(actor=books.finance, project_id=project.pk)
    assert set(TRANSITIONS) == {"approve", "reject", "start", "pay", "complete", "cancel"}


def test_a_project_is_cancelled_only_before_anything_is_paid(books):
    project = running(books)
    pay(books, project, "10")
    with pytest.raises(Conflict) as error:
        fund_project_cancel(actor=books.finance, project_id=project.pk, reason="换方案")
    assert error.value.code == "project_paid"
    other = propose(books, title="绿化")
    with pytest.raises(DomainError):
        fund_project_cancel(actor=books.finance, project_id=other.pk, reason="")
    assert fund_project_cancel(actor=books.finance, project_id=other.pk, reason="重复").status == S.CANCELLED
    with pytest.raises(Conflict):
        fund_project_cancel(actor=books.finance, project_id=other.pk, reason="again")


# --- reading -----------------------------------------------------------------------------------------------------
def test_every_owner_reads_a_project_but_only_those_in_scope_see_the_houses_and_their_share(books):
    project = running(books, scope="houses", scope_ids=[books.houses[0].pk, books.houses[1].pk])
    pay(books, project, "100.00")
    mine = project_view(actor=books.owner, project=fund_project_get(actor=books.owner, project_id=project.pk))
    assert mine.sees_houses and mine.my_houses == [books.houses[0].pk, books.houses[1].pk]
    assert [(s["house_id"], s["share"]) for s in mine.payments[0]["my_shares"]] == [
        (books.houses[0].pk, D("42.72")), (books.houses[1].pk, D("57.28"))]
    outside = project_view(actor=books.owner2, project=fund_project_get(actor=books.owner2, project_id=project.pk))
    assert not outside.sees_houses and outside.my_houses == [] and outside.scope_count == 2
    assert outside.payments[0]["my_shares"] == [] and outside.paid == D("100.00")
    staff = project_view(actor=books.committee, project=project)
    assert staff.sees_houses and staff.my_houses == []
    for actor in (books.family, books.tenant, books.technician):
        with pytest.raises(NotFound):
            fund_project_get(actor=actor, project_id=project.pk)


def test_another_estates_project_is_not_found(books, other_estate, actor_for):
    project = propose(books)
    outsider = actor_for("manager", other_estate)
    with pytest.raises(NotFound):
        fund_project_get(actor=outsider, project_id=project.pk)
    with pytest.raises(NotFound):
        fund_project_start(actor=outsider, project_id=project.pk)


def test_the_list_filters_by_house_and_status(books, django_assert_max_num_queries):
    a = propose(books, scope="houses", scope_ids=[books.houses[0].pk])
    propose(books, scope="houses", scope_ids=[books.houses[3].pk], title="B")
    approve(books, a, tally("89.50", "0", 1, 0, 1))
    with django_assert_max_num_queries(1):
        rows = list(fund_project_list(actor=books.owner, house_id=books.houses[0].pk))
    assert [(p.pk, p.scope_count, p.paid) for p in rows] == [(a.pk, 1, D("0.00"))]
    assert len(list(fund_project_list(actor=books.owner, status=S.PROPOSED))) == 1


def test_dates_are_checked(books):
    project = running(books)
    with pytest.raises(DomainError):
        fund_project_pay(actor=books.finance, project_id=project.pk, amount="1", idempotency_key="k",
                         date=datetime.date.today() + datetime.timedelta(days=3), documents=[document(books)])


def test_a_refused_tally_says_what_is_missing_in_each_language(books, nine):
    project, _houses = nine
    with pytest.raises(DomainError) as error:
        approve(books, project, tally("299.99", "300.00", 4, 1, 9))
    messages = error.value.texts()
    assert messages["en"] == ("The tally does not pass Civil Code art. 278: participating area 599.99 of 900.00 m² "
                              "(at least 2/3 needed); participating owners 5 of 9 (at least 2/3 needed); area for "
                              "299.99 of 599.99 m² participating (more than 1/2 needed).")
    assert set(messages) == {"en", "zh-hans"}
