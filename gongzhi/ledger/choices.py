from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    """The five kinds of double-entry account. Assets and expenses grow on the debit side; the others on the
    credit side (their "normal balance")."""

    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    FUND = "fund", _("Owners' fund")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


DEBIT_NORMAL = frozenset({AccountKind.ASSET, AccountKind.EXPENSE})


class AccountGroup(models.TextChoices):
    """What an account is for: the disclosure report and the public page total by group."""

    CASH = "cash", _("Cash and bank")
    RECEIVABLE = "receivable", _("Fees receivable")
    FUND_BANK = "fund_bank", _("Maintenance fund bank account")
    PREPAYMENT = "prepayment", _("Prepaid fees")
    DEPOSIT = "deposit", _("Deposits held")
    PUBLIC_FUND = "public_fund", _("Owners' public revenue fund")
    MAINTENANCE_FUND = "maintenance_fund", _("Maintenance fund")
    FEE_INCOME = "fee_income", _("Fee income")
    PUBLIC_REVENUE = "public_revenue", _("Public revenue")
    EXPENSE = "expense", _("Expenses")
    PUBLIC_REVENUE_COST = "public_revenue_cost", _("Costs of public revenue")


class EntryKind(models.TextChoices):
    OPENING = "opening", _("Opening balance")
    MANUAL = "manual", _("Manual entry")
    FEE_BILL = "fee_bill", _("Fees billed")
    FEE_PAYMENT = "fee_payment", _("Fee payment")
    FEE_REFUND = "fee_refund", _("Fee refund")
    FEE_ADJUSTMENT = "fee_adjustment", _("Fee adjustment")
    EXPENSE = "expense", _("Expense")
    PUBLIC_REVENUE = "public_revenue", _("Public revenue")
    PUBLIC_REVENUE_COST = "public_revenue_cost", _("Cost of public revenue")
    PUBLIC_REVENUE_USE = "public_revenue_use", _("Use of public revenue")
    FUND_DEPOSIT = "fund_deposit", _("Maintenance fund initial deposit")
    FUND_TOP_UP = "fund_top_up", _("Maintenance fund top-up")
    FUND_INTEREST = "fund_interest", _("Maintenance fund interest")
    FUND_USE = "fund_use", _("Maintenance fund use")
    REVERSAL = "reversal", _("Reversal")


class ApprovalKind(models.TextChoices):
    EXPENSE = "expense", _("Expense above the approval threshold")
    PUBLIC_REVENUE_USE = "public_revenue_use", _("Use of public revenue")
    FUND_PROJECT = "fund_project", _("Maintenance fund project")


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ExpenseStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    POSTED = "posted", _("Posted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FundProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class EmergencyKind(models.TextChoices):
    """DOMAIN.md: emergency repairs (danger to the building) skip the owners' vote but are recorded and disclosed."""

    ELEVATOR = "elevator", _("Elevator fault")
    ROOF_LEAK = "roof_leak", _("Leaking roof")
    PUMP = "pump", _("Failed water pump")
    FACADE = "facade", _("Falling façade")
    DRAIN = "drain", _("Blocked drains")
    FIRE_SYSTEM = "fire_system", _("Fire system failure")
