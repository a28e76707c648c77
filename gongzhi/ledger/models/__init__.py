from .accounts import Account, Document
from .approvals import Approval, ApprovalDocument, ExpenseRequest, ExpenseRequestDocument
from .fund import FundProject, FundProjectHouse, FundProjectItem, FundProjectPayment, FundReminder
from .journal import Checkpoint, EntryDocument, JournalEntry, JournalLine, LedgerHead

__all__ = ["Account", "Approval", "ApprovalDocument", "Checkpoint", "Document", "EntryDocument", "ExpenseRequest",
           "ExpenseRequestDocument", "FundProject", "FundProjectHouse", "FundProjectItem", "FundProjectPayment",
           "FundReminder", "JournalEntry", "JournalLine", "LedgerHead"]
