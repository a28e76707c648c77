"""Helpers of the payments tests: read the ledger back."""

from gongzhi.ledger.models import JournalEntry


def entry_lines(reference: str, estate) -> list[tuple[str, str, str]]:
    """The (account code, debit, credit) lines of the entry posted with ``reference``."""
    entry = JournalEntry.objects.get(estate=estate, reference=reference)
    return [(ln.account.code, f"{ln.debit:.2f}", f"{ln.credit:.2f}")
            for ln in entry.lines.select_related("account").order_by("line_no")]
