"""The owners' public revenue (公共收益): income from the common parts, the reasonable costs recorded against it,
the uses the owners decided, and each house's share.

- Civil Code art. 282: income from the common parts belongs to the owners after the reasonable costs;
- art. 283: costs and income are shared by the area of each owner's exclusive part when nothing else is agreed;
- art. 275: parking on co-owned land is co-owned, so its income is public revenue (account 4103).

Income is recorded here (Dr cash / Cr a 41xx source); a cost against it is an expense on 5101, entered through
``expenses.expense_submit`` so the estate's document and approval thresholds apply; a use is decided by the
owners (``expenses.public_revenue_use_submit`` / ``public_revenue_use_approve``).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden
from gongzhi.estate.choices import OWNER_KINDS, HouseKind
from gongzhi.estate.models import House, Residency

from . import chart, services
from .choices import AccountGroup, EntryKind
from .errors import invalid
from .expenses import CASH_CODES, clean_key, files_removed_on_error, parse_amount, parse_date, store_documents
from .models import Account, JournalEntry
from .policies import LedgerPolicy
from .selectors import account_balances
from .split import split_by_weight

ZERO = Decimal("0.00")
FUND_GROUPS = (AccountGroup.PUBLIC_REVENUE, AccountGroup.PUBLIC_REVENUE_COST, AccountGroup.PUBLIC_FUND)
# Whether parking spaces carry a share: the assembly rules decide it, as they do for their votes (DOMAIN.md).
RULE_PARKING_COUNTS = "vote.parking_spaces_count"


# --- writing -----------------------------------------------------------------------------------------------------
def public_revenue_record(*, actor: Actor, source_code: str, amount, date, counterparty: str, description: str,
                          documents: Sequence = (), received_into: str = chart.BANK, idempotency_key: str = "",
                          staff_note: str = "", staff_only_documents: bool | Iterable[int] = False) -> JournalEntry:
    """Record income from the common parts (finance, the manager): Dr cash on hand or the bank / Cr the source
    (one of the 41xx public revenue accounts), kind PUBLIC_REVENUE, with its documents (a contract, a receipt).
    The same ``idempotency_key`` again returns the first entry and stores nothing."""
    if not LedgerPolicy.can(actor, "post"):
        raise Forbidden()
    estate = actor.estate
    key = clean_key(idempotency_key)
    reference = f"public_revenue:{key}" if key else ""
    if reference:
        existing = JournalEntry.objects.filter(estate=estate, reference=reference).first()
        if existing is not None:
            return existing
    value, day = parse_amount(amount), parse_date(date)
    accounts = chart.accounts_by_code(estate, [c for c in (source_code, received_into) if isinstance(c, str)])
    source = accounts.get(source_code)
    if source is None or source.group != AccountGroup.PUBLIC_REVENUE:
        raise invalid("source_code", _("not a public revenue account"))
    cash = accounts.get(received_into) if received_into in CASH_CODES else None
    if cash is None:
        raise invalid("received_into", _("not an account this may be booked to"))
    with transaction.atomic(), files_removed_on_error() as stored:
        stored_documents = store_documents(actor, list(documents or ()), staff_only_documents, stored)
        return services.entry_post(
            estate=estate, actor=actor, date=day, kind=EntryKind.PUBLIC_REVENUE, description=description,
            counterparty=counterparty, reference=reference, documents=stored_documents, staff_note=staff_note,
            lines=[services.Line(cash, debit=value), services.Line(source, credit=value)])


def public_revenue_cost_submit(**fields):
    """A reasonable cost of earning public revenue (commission, upkeep of an advertising board): an expense on
    5101, under the same document and approval thresholds as any other expense."""
    from .expenses import expense_submit

    return expense_submit(account_code=chart.PUBLIC_REVENUE_COST, **fields)


# --- reading -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceTotal:
    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class FundSummary:
    """Over [date_from, date_to]: income by source, the costs against it, the uses the owners decided, and the
    balance left to the owners (for an open start: the fund's balance at date_to)."""

    income: list[SourceTotal] = field(default_factory=list)
    income_total: Decimal = ZERO
    costs: Decimal = ZERO
    uses: Decimal = ZERO
    balance: Decimal = ZERO


def fund_summary(*, estate, date_to: datetime.date | None = None,
                 date_from: datetime.date | None = None) -> FundSummary:
    """balance = Σ public revenue income − Σ costs of public revenue (5101) − Σ net debits of the owners' public
    revenue fund (3001, its uses; an opening credit to it adds). Reversals net out of every term. Two queries."""
    sums = account_balances(estate=estate, date_to=date_to, date_from=date_from, groups=FUND_GROUPS)
    accounts = Account.objects.filter(estate=estate, group__in=FUND_GROUPS).order_by("code")
    income, costs, uses = [], ZERO, ZERO
    for account in accounts:
        debits, credits = sums.get(account.pk, (ZERO, ZERO))
        if account.group == AccountGroup.PUBLIC_REVENUE:
            income.append(SourceTotal(account.code, account.label, credits - debits))
        elif account.group == AccountGroup.PUBLIC_REVENUE_COST:
            costs += debits - credits
        else:
            uses += debits - credits
    income_total = sum((s.amount for s in income), ZERO)
    return FundSummary(income=income, income_total=income_total, costs=costs, uses=uses,
                       balance=income_total - costs - uses)


def sharing_houses(estate) -> QuerySet:
    """The houses that share in the public revenue (art. 283): every exclusive part of the estate; parking
    spaces registered as houses only when the assembly rules count them."""
    qs = House.objects.filter(estate=estate)
    if not estate.rules().get(RULE_PARKING_COUNTS, False):
        qs = qs.exclude(kind=HouseKind.PARKING)
    return qs


def share_weights(estate) -> list[tuple[int, Decimal]]:
    """(house id, building area) of every sharing house."""
    return list(sharing_houses(estate).order_by("pk").values_list("pk", "area_m2"))


def house_shares(*, estate, amount, weights: list[tuple[int, Decimal]] | None = None) -> dict[int, Decimal]:
    """Each house's share of ``amount`` by building area (Civil Code art. 283), exact to the fen by the remainder
    rule of ``split.split_by_weight``: the shares add up to the amount. A deficit is shared the same way (negative
    shares). No houses: no shares."""
    weights = share_weights(estate) if weights is None else weights
    amount = Decimal(amount)
    if not weights:
        return {}
    if amount >= 0:
        return split_by_weight(amount, weights)
    return {house_id: -share for house_id, share in split_by_weight(-amount, weights).items()}


@dataclass(frozen=True)
class HouseShare:
    house: House
    area_m2: Decimal
    share: Decimal


def my_house_shares(*, actor: Actor, balance: Decimal) -> list[HouseShare]:
    """The actor's own houses (current owner or co-owner) with their share of ``balance``."""
    houses = {r.house_id: r.house for r in Residency.objects.current()
              .filter(estate=actor.estate, person__user=actor.user, kind__in=OWNER_KINDS)
              .select_related("house__building", "house__unit")}
    if not houses:
        return []
    shares = house_shares(estate=actor.estate, amount=balance)
    return [HouseShare(house, house.area_m2, shares[pk]) for pk, house in sorted(houses.items()) if pk in shares]
