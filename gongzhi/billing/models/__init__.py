from .bills import Adjustment, Bill, BillLine, BillRun
from .meters import Meter, MeterReading
from .payments import (
    ArrearsReminder,
    BillingAccount,
    Payment,
    PaymentAllocation,
    PaymentNotification,
    PaymentOrder,
    PrepaymentEntry,
    Receipt,
    ReceiptCounter,
    ReceiptVoid,
    Refund,
)
from .rules import Discount, FeeItem, FeeRule

__all__ = ["Adjustment", "ArrearsReminder", "Bill", "BillLine", "BillRun", "BillingAccount", "Discount", "FeeItem",
           "FeeRule", "Meter", "MeterReading", "Payment", "PaymentAllocation", "PaymentNotification", "PaymentOrder",
           "PrepaymentEntry", "Receipt", "ReceiptCounter", "ReceiptVoid", "Refund"]
