from django.db import models
from django.utils.translation import gettext_lazy as _


class FeeKind(models.TextChoices):
    """How a fee item's amount is computed (DOMAIN.md, Money)."""

    AREA = "area", _("Per m² of building area per month")
    FIXED = "fixed", _("Fixed per house per month")
    PARKING = "parking", _("Per parking space per month")
    METERED = "metered", _("Metered (reading × unit price)")
    ONE_OFF = "one_off", _("One-off charge")


PERIODIC_KINDS = frozenset({FeeKind.AREA, FeeKind.FIXED, FeeKind.PARKING})


class MeterKind(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


METER_UNITS = {MeterKind.WATER: "m³", MeterKind.ELECTRICITY: "kWh", MeterKind.GAS: "m³"}


class LedgerCode(models.TextChoices):
    """The ledger account a fee item's income is credited to (``gongzhi.ledger.chart``)."""

    PROPERTY = "4001", _("Property fees")
    PARKING = "4002", _("Parking fees")
    UTILITIES = "4003", _("Utilities recharged")
    OTHER = "4009", _("Other fees and paid services")
    DEPOSIT = "2202", _("Deposits held (decoration and others)")


class DiscountKind(models.TextChoices):
    VACANT = "vacant", _("Vacant house")
    EXEMPTION = "exemption", _("Exemption")
    PREPAYMENT = "prepayment", _("Prepayment")


class ReadingSource(models.TextChoices):
    MANUAL = "manual", _("Entered by staff")
    IMPORT = "import", _("Imported from a workbook")
    REPLACEMENT = "replacement", _("Meter replacement")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


PERIOD_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


class BillKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic fees")
    ONE_OFF = "one_off", _("One-off charge")
    LATE_FEE = "late_fee", _("Late fee")


class BillStatus(models.TextChoices):
    OPEN = "open", _("Unpaid")
    PAID = "paid", _("Settled")


class PayerKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    DEVELOPER = "developer", _("Developer")


class PaymentMethod(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    SANDBOX = "sandbox", _("Sandbox (demo)")
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    POS = "pos", _("POS card terminal")


ONLINE_METHODS = frozenset({PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.SANDBOX})
OFFLINE_METHODS = frozenset({PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER, PaymentMethod.POS})
# The ledger account money arrives in, by method (gongzhi.ledger.chart: 1001 cash, 1002 bank, 1012 online in transit).
METHOD_ACCOUNT = {
    PaymentMethod.CASH: "1001",
    PaymentMethod.BANK_TRANSFER: "1002",
    PaymentMethod.POS: "1002",
    PaymentMethod.WECHAT: "1012",
    PaymentMethod.ALIPAY: "1012",
    PaymentMethod.SANDBOX: "1012",
}


class AllocationSource(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    PREPAYMENT = "prepayment", _("Prepayment balance")
    VOID = "void", _("Voided payment")


class PrepaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("Overpayment kept as prepayment")
    DRAW = "draw", _("Applied to a bill")
    REFUND = "refund", _("Refunded")
    VOID = "void", _("Voided payment")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved and paid out")
    REJECTED = "rejected", _("Rejected")


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")


class NotificationOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate (already handled)")
    REJECTED = "rejected", _("Rejected")
