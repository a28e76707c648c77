"""The standard chart of accounts every estate's ledger starts with.

Codes are stable keys (billing and the other apps post to them by code); names are translated at display time, so
an owner reading in English and one reading in Chinese see the same account. An estate may add accounts of its own
(``Account.name`` set). Each house's maintenance-fund sub-account is ``3101-<house id>`` under ``3101``.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .choices import AccountGroup as G
from .choices import AccountKind as K

# code: (kind, group, name)
STANDARD = {
    "1001": (K.ASSET, G.CASH, _("Cash on hand")),
    "1002": (K.ASSET, G.CASH, _("Bank account")),
    "1012": (K.ASSET, G.CASH, _("Online payments in transit")),
    "1122": (K.ASSET, G.RECEIVABLE, _("Fees receivable")),
    "1201": (K.ASSET, G.FUND_BANK, _("Maintenance fund bank account")),
    "2201": (K.LIABILITY, G.PREPAYMENT, _("Prepaid fees")),
    "2202": (K.LIABILITY, G.DEPOSIT, _("Deposits held (decoration and others)")),
    "3001": (K.FUND, G.PUBLIC_FUND, _("Owners' public revenue fund")),
    "3101": (K.FUND, G.MAINTENANCE_FUND, _("Maintenance fund")),
    "4001": (K.INCOME, G.FEE_INCOME, _("Property fees")),
    "4002": (K.INCOME, G.FEE_INCOME, _("Parking fees")),
    "4003": (K.INCOME, G.FEE_INCOME, _("Utilities recharged")),
    "4004": (K.INCOME, G.FEE_INCOME, _("Late fees")),
    "4009": (K.INCOME, G.FEE_INCOME, _("Other fees and paid services")),
    "4101": (K.INCOME, G.PUBLIC_REVENUE, _("Advertising")),
    "4102": (K.INCOME, G.PUBLIC_REVENUE, _("Rented common spaces")),
    "4103": (K.INCOME, G.PUBLIC_REVENUE, _("Parking on co-owned land")),
    "4104": (K.INCOME, G.PUBLIC_REVENUE, _("Venue rental")),
    "4109": (K.INCOME, G.PUBLIC_REVENUE, _("Other public revenue")),
    "5001": (K.EXPENSE, G.EXPENSE, _("Staff")),
    "5002": (K.EXPENSE, G.EXPENSE, _("Cleaning")),
    "5003": (K.EXPENSE, G.EXPENSE, _("Greening")),
    "5004": (K.EXPENSE, G.EXPENSE, _("Security")),
    "5005": (K.EXPENSE, G.EXPENSE, _("Repairs and upkeep")),
    "5006": (K.EXPENSE, G.EXPENSE, _("Utilities of common parts")),
    "5007": (K.EXPENSE, G.EXPENSE, _("Insurance")),
    "5008": (K.EXPENSE, G.EXPENSE, _("Management fee")),
    "5009": (K.EXPENSE, G.EXPENSE, _("Other expenses")),
    "5101": (K.EXPENSE, G.PUBLIC_REVENUE_COST, _("Costs of public revenue")),
}

CASH = "1001"
BANK = "1002"
ONLINE = "1012"
RECEIVABLE = "1122"
FUND_BANK = "1201"
PREPAID = "2201"
DEPOSITS = "2202"
PUBLIC_FUND = "3001"
MAINTENANCE_FUND = "3101"
PUBLIC_REVENUE_COST = "5101"


def fund_code(house_id: int) -> str:
    return f"{MAINTENANCE_FUND}-{house_id}"


def account_label(account) -> str:
    if account.name:
        return account.name
    if account.house_id is not None:
        return str(_("Maintenance fund: %(house)s") % {"house": account.house})
    standard = STANDARD.get(account.code)
    return str(standard[2]) if standard else account.code


def ensure_chart(estate) -> None:
    """Create the standard accounts the estate does not have yet (idempotent, cheap when they exist)."""
    from .models import Account

    have = set(Account.objects.filter(estate=estate, code__in=STANDARD).values_list("code", flat=True))
    missing = [Account(estate=estate, code=code, kind=kind, group=group)
               for code, (kind, group, _name) in STANDARD.items() if code not in have]
    if missing:
        with transaction.atomic():
            Account.objects.bulk_create(missing, ignore_conflicts=True)


def accounts_by_code(estate, codes) -> dict:
    from .models import Account

    ensure_chart(estate)
    return {a.code: a for a in Account.objects.filter(estate=estate, code__in=list(codes))}


def house_fund_accounts(estate, houses) -> dict:
    """house id → that house's maintenance-fund sub-account, creating the missing ones (one query when they all
    exist)."""
    from .models import Account

    ids = [h if isinstance(h, int) else h.pk for h in houses]
    found = {a.house_id: a for a in Account.objects.filter(estate=estate, house_id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        parent = accounts_by_code(estate, [MAINTENANCE_FUND])[MAINTENANCE_FUND]
        Account.objects.bulk_create(
            [Account(estate=estate, code=fund_code(i), kind=K.FUND, group=G.MAINTENANCE_FUND, parent=parent,
                     house_id=i) for i in missing], ignore_conflicts=True)
        found.update({a.house_id: a for a in Account.objects.filter(estate=estate, house_id__in=missing)})
    return found
