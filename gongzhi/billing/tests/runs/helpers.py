"""Helpers of the bill-run tests: the ledger entry a billing reference posted, as (code, debit, credit) rows."""

from decimal import Decimal

from gongzhi.ledger.models import JournalEntry


def posted(estate, reference: str) -> list[tuple[str, Decimal, Decimal]]:
    entry = JournalEntry.objects.get(estate=estate, reference=reference)
    return [(ln.account.code, ln.debit, ln.credit)
            for ln in entry.lines.select_related("account").order_by("line_no")]


def entries(estate, prefix: str = "billing:") -> int:
    return JournalEntry.objects.filter(estate=estate, reference__startswith=prefix).count()
