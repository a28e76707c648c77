"""The maintenance fund's sub-accounts: initial deposits, top-ups, interest, statements, the estate's totals and the
top-up reminders. The world is conftest's ``books``: four houses of 89.50, 120.00, 75.25 and 140.75 m²; ``owner``
owns the first two, ``owner2`` the third; the fourth is rented out."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.ledger import fund, services
from gongzhi.ledger.chart import fund_code
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.models import FundReminder, JournalEntry, JournalLine
from gongzhi.ledger.tasks import fund_top_up_reminders
from gongzhi.ledger.tests.conftest import yesterday
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db
D = Decimal


def set_rules(books, **rules):
    """Override the estate's rules (``fund__top_up_below`` → ``fund.top_up_below``), on the estate each actor
    holds too (actors are resolved once, as per request)."""
    overrides = {**books.estate.rule_overrides, **{k.replace("__", "."): v for k, v in rules.items()}}
    books.estate.rule_overrides = overrides
    books.estate.save(update_fields=["rule_overrides"])
    for actor in (books.owner, books.owner2, books.finance, books.manager, books.chair, books.committee):
        actor.estate.rule_overrides = overrides


def deposit(books, **kwargs):
    kwargs.setdefault("date", yesterday())
    return fund.fund_deposit_initial(actor=books.finance, **kwargs)


def balances(books) -> list[Decimal]:
    return [fund.house_balance(h) for h in books.houses]


def fund_lines(entry) -> dict[str, tuple[Decimal, Decimal]]:
    return {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.select_related("account")}


def use(books, house, amount, date=None):
    """Take money out of one house's sub-account directly (a stand-in for a project payment)."""
    account = fund.house_fund_accounts(books.estate, [house.pk])[house.pk]
    return services.entry_post(estate=books.estate, actor=books.finance, date=date or yesterday(),
                               kind=EntryKind.FUND_USE, description="维修 repair",
                               lines=[services.Line(account, debit=amount), services.Line("1201", credit=amount)])


# --- initial deposits --------------------------------------------------------------------------------------------
def test_the_deposit_is_area_times_cost_times_share_one_entry_per_house(books):
    """Given a construction cost of 3,500 yuan/m² and the national 1/20, each house deposits area × 175."""
    set_rules(books, fund__construction_cost_per_m2="3500")
    result = deposit(books)
    assert (result.posted, result.total) == (4, D("74462.50"))
    assert balances(books) == [D("15662.50"), D("21000.00"), D("13168.75"), D("24631.25")]
    entry = JournalEntry.objects.get(reference=f"fund.deposit:{books.houses[0].pk}")
    assert entry.kind == EntryKind.FUND_DEPOSIT
    assert fund_lines(entry) == {"1201": (D("15662.50"), D("0")), fund_code(books.houses[0].pk): (D("0"),
                                                                                                  D("15662.50"))}


def test_the_rate_is_exact_and_each_deposit_rounds_half_up_once(books):
    """Given a share of 1/3 of a cost of 100, the rate is 33.333...: 89.50 m² deposit 2,983.33 (rounding the rate
    first to 33.33 would give 2,983.04). A given rate of 0.1 makes 75.25 m² deposit 7.525 → 7.53 (half up, where
    banker's rounding would give 7.52)."""
    set_rules(books, fund__construction_cost_per_m2="100", fund__deposit_share_of_cost="1/3")
    plan = fund.fund_deposit_plan(actor=books.finance)
    assert plan.to_deposit[0][1] == D("2983.33")
    deposit(books, house_ids=[books.houses[2].pk], rate_per_m2="0.1")
    assert fund.house_balance(books.houses[2]) == D("7.53")


def test_deposits_are_refused_while_the_cost_is_not_set_and_no_rate_is_given(books):
    with pytest.raises(DomainError) as error:
        deposit(books)
    assert error.value.code == "fund_rate_unknown" and error.value.status == 400
    assert "fund.construction_cost_per_m2" in error.value.text("en")
    assert not JournalEntry.objects.exists()


def test_rerunning_deposits_posts_nothing_twice(books):
    first = deposit(books, house_ids=[books.houses[0].pk], rate_per_m2="10")
    again = deposit(books, rate_per_m2="10")
    assert (first.posted, again.posted, again.already) == (1, 3, 1)
    assert deposit(books, rate_per_m2="10").posted == 0
    assert JournalEntry.objects.filter(kind=EntryKind.FUND_DEPOSIT).count() == 4
    assert balances(books) == [D("895.00"), D("1200.00"), D("752.50"), D("1407.50")]


def test_a_reversed_deposit_can_be_made_again_with_its_own_reference(books):
    """Given a deposit at a wrong rate, reversed, when deposits run again, then that house is deposited anew under
    ``fund.deposit:<id>:2`` and its initial deposit is the new one."""
    house = books.houses[0]
    deposit(books, house_ids=[house.pk], rate_per_m2="100")
    wrong = JournalEntry.objects.get(reference=f"fund.deposit:{house.pk}")
    services.entry_reverse(actor=books.finance, entry=wrong, reason="错误单价 wrong rate")
    assert fund.initial_deposit(house) == D("0.00")
    result = deposit(books, house_ids=[house.pk], rate_per_m2="10")
    assert result.posted == 1
    assert JournalEntry.objects.filter(reference=f"fund.deposit:{house.pk}:2").exists()
    assert (fund.initial_deposit(house), fund.house_balance(house)) == (D("895.00"), D("895.00"))
    assert deposit(books, house_ids=[house.pk], rate_per_m2="10").posted == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"house_ids": [10**9]}, "house_ids"),
    ({"house_ids": []}, "house_ids"),
    ({"rate_per_m2": "-1"}, "rate_per_m2"),
    ({"rate_per_m2": "1.00001"}, "rate_per_m2"),
    ({"rate_per_m2": "abc"}, "rate_per_m2"),
])
def test_bad_deposit_input_writes_nothing(books, kwargs, field):
    kwargs.setdefault("rate_per_m2", "10")
    with pytest.raises(DomainError) as error:
        deposit(books, **kwargs)
    assert error.value.status == 400 and error.value.detail["field"] == field
    assert not JournalEntry.objects.exists()


def test_another_estates_house_is_not_deposited(books, other_estate):
    from gongzhi.estate.tests.factories import HouseFactory

    theirs = HouseFactory(unit__building__estate=other_estate)
    with pytest.raises(DomainError):
        deposit(books, house_ids=[books.houses[0].pk, theirs.pk], rate_per_m2="10")
    assert not JournalEntry.objects.exists()


def test_only_finance_and_the_manager_deposit(books):
    for actor in (books.owner, books.chair, books.technician):
        with pytest.raises(Forbidden):
            fund.fund_deposit_initial(actor=actor, date=yesterday(), rate_per_m2="10")
    assert fund.fund_deposit_initial(actor=books.manager, date=yesterday(), rate_per_m2="10").posted == 4


@pytest.mark.filterwarnings("ignore:Limit for query logging exceeded")
def test_two_thousand_houses_deposit_in_one_pass(books, django_assert_max_num_queries):
    """2,000 houses post their deposits with a bounded number of queries per house (about 11: entry_post's own
    per entry; the accounts and the plan are read once for all)."""
    from gongzhi.estate.models import House

    unit = books.houses[0].unit
    House.objects.bulk_create([House(estate=books.estate, building=unit.building, unit=unit, number=f"9{i:04d}",
                                     area_m2=D("88.88")) for i in range(1996)])
    with django_assert_max_num_queries(2000 * 11 + 20):
        result = deposit(books, rate_per_m2="10")
    assert result.posted == 2000
    assert fund.estate_fund_summary(estate=books.estate).totals.balance == result.total


# --- top-ups -----------------------------------------------------------------------------------------------------
def test_a_top_up_credits_the_house_and_a_retry_posts_once(books):
    house = books.houses[1]
    entry = fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="500.00", date=yesterday(),
                             idempotency_key="slip-001")
    again = fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="500", date=yesterday(),
                             idempotency_key="slip-001")
    assert again.pk == entry.pk and entry.kind == EntryKind.FUND_TOP_UP
    assert entry.reference == "fund.top_up:slip-001"
    assert fund.house_balance(house) == D("500.00")
    with pytest.raises(Conflict) as error:
        fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="501", date=yesterday(),
                         idempotency_key="slip-001")
    assert error.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):
        fund.fund_top_up(actor=books.finance, house_id=books.houses[0].pk, amount="500", date=yesterday(),
                         idempotency_key="slip-001")


@pytest.mark.parametrize("amount, key", [("0", "k"), ("-5", "k"), ("1.001", "k"), ("10", ""), ("10", "x" * 41)])
def test_bad_top_ups_write_nothing(books, amount, key):
    with pytest.raises(DomainError) as error:
        fund.fund_top_up(actor=books.finance, house_id=books.houses[0].pk, amount=amount, date=yesterday(),
                         idempotency_key=key)
    assert error.value.status == 400
    assert not JournalEntry.objects.exists()


# --- interest ----------------------------------------------------------------------------------------------------
def test_interest_is_split_by_balance_exactly_and_houses_at_or_below_zero_get_none(books):
    """Given balances 100, 200, 300 and -10 on the interest date, 1.00 of interest is 1/6, 2/6, 3/6: 16, 33 and 50
    fen by floor, the fen left over goes to the largest dropped fraction (0.67 fen, the first house): 0.17, 0.33,
    0.50; the house below zero gets nothing. ONE entry."""
    h = books.houses
    day = yesterday() - datetime.timedelta(days=1)
    for house, amount in zip(h[:3], ("100", "200", "300"), strict=True):
        fund.fund_top_up(actor=books.finance, house_id=house.pk, amount=amount, date=day,
                         idempotency_key=f"top-{house.pk}")
    fund.fund_top_up(actor=books.finance, house_id=h[3].pk, amount="10", date=day, idempotency_key="last")
    use(books, h[3], "20", date=day)
    # money put in after the interest date does not earn this period's interest
    fund.fund_top_up(actor=books.finance, house_id=h[0].pk, amount="100000", date=yesterday(),
                     idempotency_key="late")
    entry = fund.fund_interest_allocate(actor=books.finance, amount="1.00", date=day, period_label="2025H1")
    assert entry.kind == EntryKind.FUND_INTEREST and entry.reference == "fund.interest:2025H1"
    assert fund_lines(entry) == {"1201": (D("1.00"), D("0")), fund_code(h[0].pk): (D("0"), D("0.17")),
                                 fund_code(h[1].pk): (D("0"), D("0.33")), fund_code(h[2].pk): (D("0"), D("0.50"))}
    assert JournalEntry.objects.filter(kind=EntryKind.FUND_INTEREST).count() == 1


def test_interest_for_a_period_is_credited_once(books):
    fund.fund_top_up(actor=books.finance, house_id=books.houses[0].pk, amount="100", date=yesterday(),
                     idempotency_key="a")
    first = fund.fund_interest_allocate(actor=books.finance, amount="3.21", date=yesterday(), period_label="2025")
    again = fund.fund_interest_allocate(actor=books.finance, amount="3.21", date=yesterday(), period_label="2025")
    assert again.pk == first.pk
    with pytest.raises(Conflict):
        fund.fund_interest_allocate(actor=books.finance, amount="3.22", date=yesterday(), period_label="2025")


def test_interest_with_no_positive_balance_is_refused(books):
    with pytest.raises(Conflict) as error:
        fund.fund_interest_allocate(actor=books.finance, amount="1", date=yesterday(), period_label="x")
    assert error.value.code == "fund_nothing_to_allocate" and error.value.status == 409
    assert error.value.text("en").startswith("No house has a positive balance on ")
    assert not JournalEntry.objects.exists()


# --- statements, access, summary -----------------------------------------------------------------------------------
def test_the_statement_totals_each_movement_with_reversals_netted_and_a_running_balance(books):
    house = books.houses[0]
    deposit(books, house_ids=[house.pk], rate_per_m2="10")  # 895.00
    top = fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="100", date=yesterday(),
                           idempotency_key="a")
    services.entry_reverse(actor=books.finance, entry=top, reason="重复 duplicate")
    fund.fund_top_up(actor=books.finance, house_id=house.pk, amount="50", date=yesterday(), idempotency_key="b")
    fund.fund_interest_allocate(actor=books.finance, amount="9.99", date=yesterday(), period_label="y")
    use(books, house, "700")
    statement = fund.house_statement(actor=books.owner, house_id=house.pk)
    t = statement.totals
    assert (t.deposited, t.topped_up, t.interest, t.used, t.other) == (D("895.00"), D("50.00"), D("9.99"),
                                                                       D("700.00"), D("0.00"))
    assert t.balance == D("254.99") == statement.lines[-1].balance
    assert [ln.balance for ln in statement.lines] == [D("895.00"), D("995.00"), D("895.00"), D("945.00"),
                                                      D("954.99"), D("254.99")]
    assert (statement.threshold, statement.below) == (D("268.50"), True)


def test_an_owner_reads_only_their_own_houses(books):
    theirs = books.houses[2]
    assert fund.house_statement(actor=books.owner2, house_id=theirs.pk).house == theirs
    # (the residents' committee liaison is left out: LedgerPolicy reads estate.rules as a dict, reported to the lead)
    for actor in (books.owner, books.family, books.tenant, books.technician):
        with pytest.raises(NotFound):
            fund.house_statement(actor=actor, house_id=theirs.pk)
    for actor in (books.finance, books.manager, books.chair):
        assert fund.house_statement(actor=actor, house_id=theirs.pk).house == theirs
    with pytest.raises(NotFound):
        fund.house_statement(actor=books.finance, house_id=10**9)
    assert [s.house for s in fund.my_fund(actor=books.owner)] == books.houses[:2]
    assert fund.my_fund(actor=books.family) == []


def test_another_estates_house_is_not_found(books, other_estate, actor_for):
    from gongzhi.estate.tests.factories import HouseFactory

    theirs = HouseFactory(unit__building__estate=other_estate)
    with pytest.raises(NotFound):
        fund.house_statement(actor=books.finance, house_id=theirs.pk)


def test_the_summary_adds_up_and_matches_the_bank_account(books):
    deposit(books, rate_per_m2="10")  # 4255.00
    fund.fund_top_up(actor=books.finance, house_id=books.houses[3].pk, amount="45", date=yesterday(),
                     idempotency_key="a")
    use(books, books.houses[0], "800")
    summary = fund.fund_summary(actor=books.owner)
    assert (summary.totals.deposited, summary.totals.topped_up, summary.totals.used) == (D("4255.00"), D("45.00"),
                                                                                         D("800.00"))
    assert summary.totals.balance == summary.bank_balance == D("3500.00")
    assert (summary.houses, summary.houses_below) == (4, 1)
    with pytest.raises(Forbidden):
        fund.fund_summary(actor=books.tenant)


def test_a_period_summary_has_its_opening_balance(books):
    old = yesterday() - datetime.timedelta(days=40)
    deposit(books, date=old, rate_per_m2="10")
    fund.fund_top_up(actor=books.finance, house_id=books.houses[0].pk, amount="5", date=yesterday(),
                     idempotency_key="a")
    summary = fund.estate_fund_summary(estate=books.estate, date_from=yesterday() - datetime.timedelta(days=1),
                                       date_to=yesterday())
    assert (summary.totals.opening, summary.totals.topped_up, summary.totals.deposited) == (D("4255.00"),
                                                                                           D("5.00"), D("0.00"))
    assert summary.totals.balance == D("4260.00")


# --- reminders ---------------------------------------------------------------------------------------------------
@pytest.fixture
def drawn_down(books):
    """Deposits 895.00, 1200.00, 752.50, 1407.50 (30 %: 268.50, 360.00, 225.75, 422.25); then house 0 exactly AT
    its line, house 1 a fen below it, house 2 untouched, house 3 below zero."""
    deposit(books, rate_per_m2="10")
    use(books, books.houses[0], "626.50")
    use(books, books.houses[1], "840.01")
    use(books, books.houses[3], "1417.50")
    return books


def test_reminders_go_to_houses_below_the_line_once_a_month(drawn_down):
    books = drawn_down
    today = timezone.localdate()
    assert fund.fund_send_top_up_reminders(estate=books.estate, today=today) == 2
    assert fund.fund_send_top_up_reminders(estate=books.estate, today=today) == 0
    reminded = FundReminder.objects.order_by("house_id")
    assert [r.house_id for r in reminded] == [books.houses[1].pk, books.houses[3].pk]
    assert [(r.balance, r.threshold) for r in reminded] == [(D("359.99"), D("360.00")), (D("-10.00"), D("422.25"))]
    # the owner of house 1 is told (house 3 has a tenant but no owner with a login: no one to notify)
    notes = Notification.objects.all()
    assert [n.user_id for n in notes] == [books.owner.user.pk]
    assert "359.99" in notes[0].body and notes[0].url.endswith("/ledger/fund/")
    next_month = (today.replace(day=28) + datetime.timedelta(days=5)).replace(day=1)
    assert fund.fund_send_top_up_reminders(estate=books.estate, today=next_month) == 2


def test_exactly_at_the_line_is_not_below(drawn_down):
    statement = fund.house_statement(actor=drawn_down.owner, house_id=drawn_down.houses[0].pk)
    assert (statement.totals.balance, statement.threshold, statement.below) == (D("268.50"), D("268.50"), False)


def test_the_line_follows_the_estates_rule(drawn_down):
    set_rules(drawn_down, fund__top_up_below="1/5")
    assert fund.fund_send_top_up_reminders(estate=drawn_down.estate, today=timezone.localdate()) == 1


def test_the_daily_job_reminds_every_estate_and_is_idempotent(drawn_down):
    fund_top_up_reminders.call_local()
    fund_top_up_reminders.call_local()
    assert FundReminder.objects.count() == 2


def test_the_fund_lines_are_the_journals_only(drawn_down):
    """Nothing here writes journal rows but entry_post: the lines all belong to chained entries."""
    assert JournalLine.objects.exclude(entry__in=JournalEntry.objects.all()).count() == 0
