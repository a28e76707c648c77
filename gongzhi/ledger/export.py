"""A closed period's entries as a file an owner verifies offline with ``tools/verify_ledger.py`` (issue 5; ADR 0010).

The file holds the month's checkpoint and an ANCHOR: the latest earlier checkpoint whose head comes before the first
entry dated in the month (or the start of the chain), and the contiguous run of entries from the anchor's head + 1
to the month's head, so that the tool can start from one signed hash and arrive at the other. The run holds every
entry dated in the month, and may hold others, flagged ``in_period: false``:
- entries dated in the next month but booked before this one was closed (the 1st of October is booked on the 1st,
  September is closed on the 5th) sit between the two heads;
- an entry dated in this month may have been booked before the previous month was closed (the 2nd of September is
  booked on the 2nd, August is closed on the 4th), so the previous month's head is already past it: the anchor is
  then an earlier checkpoint, or the start of the chain, and the August entries between are in the run too.
Entries dated in this month cannot come after its checkpoint: closing refuses them from then on.

Each entry carries exactly the public fields its body covers (the staff-only ones only as ``private_digest``; public
documents as their SHA-256), its stated hash, and for reading the account names. Staff-only fields never leave.
"""

import datetime
import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden, NotFound

from . import chain, signing
from .chart import account_label
from .models import Account, Checkpoint, EntryDocument, JournalEntry, JournalLine
from .policies import LedgerPolicy

FORMAT = "gz-ledger-export-1"
TOOL = "tools/verify_ledger.py"


def period_start(year, month) -> datetime.date:
    try:
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError, OverflowError):
        raise NotFound() from None


def closed_checkpoint(*, actor: Actor, year, month) -> Checkpoint:
    """The checkpoint of a closed month of the actor's estate; 404 for a month that is not closed (or no month)."""
    if not LedgerPolicy.can(actor, "export"):
        raise Forbidden()
    checkpoint = Checkpoint.objects.filter(estate=actor.estate, period_start=period_start(year, month)).first()
    if checkpoint is None:
        raise NotFound(_("That month is not closed: only closed months can be downloaded."))
    return checkpoint


def _anchor(checkpoint: Checkpoint) -> Checkpoint | None:
    """The latest checkpoint whose head is before the first entry dated in the period (None: the genesis)."""
    estate = checkpoint.estate_id
    first = (JournalEntry.objects.filter(estate_id=estate, date__gte=checkpoint.period_start,
                                         date__lte=checkpoint.period_end)
             .order_by("seq").values_list("seq", flat=True).first())
    candidates = Checkpoint.objects.filter(estate_id=estate, period_start__lt=checkpoint.period_start)
    if first is not None:
        candidates = candidates.filter(head_seq__lt=first)
    return candidates.order_by("-head_seq", "-period_start").first()


def _signed(checkpoint: Checkpoint) -> dict:
    return {"period_start": checkpoint.period_start.isoformat(), "period_end": checkpoint.period_end.isoformat(),
            "head_seq": checkpoint.head_seq, "head_hash": checkpoint.head_hash,
            "signed_at": chain.instant(checkpoint.signed_at), "public_key": checkpoint.public_key,
            "signature": checkpoint.signature}


def period_export(*, actor: Actor, year, month) -> dict:
    """The export document of a closed month (see the module's docstring)."""
    checkpoint = closed_checkpoint(actor=actor, year=year, month=month)
    estate = actor.estate
    anchor = _anchor(checkpoint)
    low = anchor.head_seq if anchor is not None else 0
    entries = list(JournalEntry.objects.filter(estate=estate, seq__gt=low, seq__lte=checkpoint.head_seq)
                   .order_by("seq"))
    ids = [e.pk for e in entries]
    lines: dict[int, list] = {}
    codes: set[str] = set()
    for entry_id, code, debit, credit in (JournalLine.objects.filter(entry_id__in=ids).order_by("entry_id", "line_no")
                                          .values_list("entry_id", "account__code", "debit", "credit")):
        lines.setdefault(entry_id, []).append({"account": code, "debit": chain.money(debit),
                                               "credit": chain.money(credit)})
        codes.add(code)
    documents: dict[int, list] = {}
    for entry_id, sha in (EntryDocument.objects.filter(entry_id__in=ids, document__staff_only=False)
                          .values_list("entry_id", "document__sha256")):
        documents.setdefault(entry_id, []).append(sha)
    reversed_ids = [e.reverses_id for e in entries if e.reverses_id]
    seqs = dict(JournalEntry.objects.filter(pk__in=reversed_ids).values_list("id", "seq"))
    accounts = {a.code: account_label(a) for a in Account.objects.filter(estate=estate, code__in=codes)
                .select_related("house")}
    return {
        "format": FORMAT,
        "chain_format": chain.FORMAT,
        "estate": {"id": estate.pk, "name": estate.name},
        "period": {"start": checkpoint.period_start.isoformat(), "end": checkpoint.period_end.isoformat()},
        "public_key": signing.public_key_hex(),
        "checkpoint": _signed(checkpoint),
        "anchor": _signed(anchor) if anchor is not None else {"genesis": True, "head_seq": 0,
                                                              "head_hash": chain.GENESIS},
        "accounts": dict(sorted(accounts.items())),
        "entries": [{
            "seq": e.seq, "date": e.date.isoformat(), "posted_at": chain.instant(e.posted_at), "kind": e.kind,
            "description": e.description, "counterparty": "" if e.counterparty_private else e.counterparty,
            "reference": e.reference, "reverses_seq": seqs.get(e.reverses_id) if e.reverses_id else None,
            "actor_role": e.actor_role, "approval_id": e.approval_id, "private_digest": e.private_digest,
            "public_documents": sorted(documents.get(e.pk, [])), "lines": lines.get(e.pk, []),
            "in_period": checkpoint.period_start <= e.date <= checkpoint.period_end,
            "prev_hash": e.prev_hash, "hash": e.hash,
        } for e in entries],
        "generated_at": chain.instant(timezone.now()),
        "verify_with": TOOL,
    }


def export_filename(document: dict) -> str:
    return f"ledger-{document['estate']['id']}-{document['period']['start'][:7]}.json"


def export_response(document: dict) -> HttpResponse:
    """The export as a download, for the page and the API alike."""
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=1), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(document)}"'
    return response


# --- what the verification page and the API show about closed periods ---------------------------------------------
def key_fingerprint(public_key: str) -> str:
    """A short form to compare by eye with the key on the notice board: the first 16 hex digits in fours."""
    return " ".join(public_key[i:i + 4] for i in range(0, 16, 4))


def public_key_info(*, actor: Actor) -> dict:
    if not LedgerPolicy.can(actor, "verify"):
        raise Forbidden()
    key = signing.public_key_hex()
    return {"public_key": key, "fingerprint": key_fingerprint(key),
            "trusted_keys": sorted(signing.trusted_keys() - {key})}


def checkpoint_rows(*, actor: Actor) -> list[dict]:
    """The estate's checkpoints, newest first, each with whether its signature is valid under a trusted key."""
    if not LedgerPolicy.can(actor, "verify"):
        raise Forbidden()
    return [checkpoint_row(c) for c in Checkpoint.objects.filter(estate=actor.estate).order_by("-period_start")]


def checkpoint_row(c: Checkpoint) -> dict:
    message = chain.checkpoint_message(estate_id=c.estate_id, period_start=c.period_start, period_end=c.period_end,
                                       head_seq=c.head_seq, head_hash=c.head_hash,
                                       signed_at=chain.instant(c.signed_at))
    return {"id": c.pk, "period": f"{c.period_start:%Y-%m}", "year": c.period_start.year,
            "month": c.period_start.month, "period_start": c.period_start, "period_end": c.period_end,
            "head_seq": c.head_seq, "head_hash": c.head_hash, "signed_at": c.signed_at, "public_key": c.public_key,
            "signature": c.signature, "signature_valid": signing.signature_valid(c.public_key, message, c.signature)}
