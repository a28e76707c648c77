"""Posting to the journal, reversing, and closing periods: the only writers of journal rows (DESIGN.md habit 1).

Other apps (billing, the maintenance fund, expenses) post through ``entry_post``; they never write ledger rows
themselves. Each post locks the estate's ``LedgerHead``, so entries get consecutive numbers and each links to the
one before it, even with many workers posting at once.
"""

import datetime
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.core.access import Actor
from gongzhi.core.errors import Conflict, Forbidden, NotFound, Reason

from . import chain, signing
from .chart import accounts_by_code
from .choices import EntryKind
from .errors import invalid, period_closed, unbalanced
from .models import Account, Checkpoint, Document, EntryDocument, JournalEntry, JournalLine, LedgerHead
from .policies import LedgerPolicy

MAX_AMOUNT = Decimal("999999999999.99")
MAX_LINES = 5000  # a fund project's cost split over every house of a large estate is one entry
TEXT_LIMITS = {"description": 200, "counterparty": 120, "reference": 80, "staff_note": 500}
# The role an entry shows as its poster, most specific first.
ROLE_ORDER = [Role.FINANCE, Role.MANAGER, Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER, Role.CUSTOMER_SERVICE]
SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Line:
    """One line to post: an account (an ``Account`` of the estate or a chart code) and one positive amount on
    the debit or the credit side."""

    account: Account | str
    debit: Decimal | int | str = Decimal("0")
    credit: Decimal | int | str = Decimal("0")


def _amount(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field, _("not an amount")) from None
    if not amount.is_finite() or amount < 0:
        raise invalid(field, _("must be zero or more"))
    if amount > MAX_AMOUNT:
        raise invalid(field, _("is larger than any real amount"))
    if amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, _("at most two decimals (fen)"))
    return amount.quantize(Decimal("0.01"))


def clean_text(field: str, value: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, _("is required"))
    if chain.CONTROL.search(value):
        raise invalid(field, _("may not contain control characters"))
    if len(value) > TEXT_LIMITS.get(field, 200):
        raise invalid(field, Reason(_("is too long (at most %(max)s characters)"), max=TEXT_LIMITS.get(field, 200)))
    return value


def actor_role(actor: Actor | None) -> str:
    if actor is None or actor.user is None:
        return SYSTEM_ROLE
    for role in ROLE_ORDER:
        if role in actor.roles:
            return str(role)
    return "platform_admin" if actor.is_platform_admin else sorted(actor.roles)[0] if actor.roles else SYSTEM_ROLE


def _actor_label(actor: Actor | None) -> str:
    if actor is None or actor.user is None:
        return "system"
    return f"{getattr(actor.user, 'name', '') or ''} {getattr(actor.user, 'phone', '')}".strip()[:120]


def closed_through(estate) -> datetime.date | None:
    """The last day of the latest closed period, or None when nothing is closed."""
    last = Checkpoint.objects.filter(estate=estate).order_by("-period_end").values_list("period_end", flat=True)
    return last.first()


def _resolve_lines(estate, lines: Sequence[Line]) -> list[tuple[Account, Decimal, Decimal]]:
    if len(lines) < 2:
        raise invalid("lines", _("an entry needs at least two lines"))
    if len(lines) > MAX_LINES:
        raise invalid("lines", _("too many lines"))
    codes = {ln.account for ln in lines if isinstance(ln.account, str)}
    by_code = accounts_by_code(estate, codes) if codes else {}
    resolved = []
    for i, ln in enumerate(lines, start=1):
        account = by_code.get(ln.account) if isinstance(ln.account, str) else ln.account
        if account is None or account.estate_id != estate.pk:
            raise invalid(f"lines[{i}].account", _("no such account in this estate"))
        debit, credit = _amount(ln.debit, f"lines[{i}].debit"), _amount(ln.credit, f"lines[{i}].credit")
        if (debit > 0) == (credit > 0):
            raise invalid(f"lines[{i}]", _("a line has an amount on exactly one side"))
        resolved.append((account, debit, credit))
    debits = sum((d for _a, d, _c in resolved), Decimal("0"))
    credits = sum((c for _a, _d, c in resolved), Decimal("0"))
    if debits != credits:
        raise unbalanced(debits, credits)
    return resolved


@dataclass(frozen=True)
class EntrySpec:
    """One entry to post with ``entries_post_many`` (the arguments of ``entry_post``)."""

    date: datetime.date
    kind: str
    description: str
    lines: Sequence[Line]
    reference: str = ""
    counterparty: str = ""
    counterparty_private: bool = False
    staff_note: str = ""
    approval: object = None
    documents: Sequence[Document] = ()
    reverses: JournalEntry | None = None


def entry_post(*, estate, actor: Actor | None, date: datetime.date, kind: str, description: str,
               lines: Sequence[Line], counterparty: str = "", counterparty_private: bool = False,
               reference: str = "", approval=None, documents: Sequence[Document] = (), staff_note: str = "",
               reverses: JournalEntry | None = None, check_permission: bool = True) -> JournalEntry:
    """Append one balanced entry to the estate's chain and return it.

    Posting the same ``reference`` again returns the first entry and writes nothing (retries are safe). A date
    in a closed period is refused (409 ``period_closed``); so is a date in the future. ``check_permission=False``
    is for services that checked their own policy (billing posting a resident's online payment, a task)."""
    spec = EntrySpec(date=date, kind=kind, description=description, lines=lines, reference=reference,
                     counterparty=counterparty, counterparty_private=counterparty_private, staff_note=staff_note,
                     approval=approval, documents=documents, reverses=reverses)
    return entries_post_many(estate=estate, actor=actor, specs=[spec], check_permission=check_permission)[0]


@dataclass(frozen=True)
class _Prepared:
    spec: EntrySpec
    reference: str
    description: str
    counterparty: str
    staff_note: str
    lines: list[tuple[Account, Decimal, Decimal]]
    documents: list[Document]


def _prepare(estate, spec: EntrySpec, today: datetime.date, field: str) -> _Prepared:
    if spec.kind not in EntryKind.values:
        raise invalid(f"{field}kind", _("unknown kind"))
    if not isinstance(spec.date, datetime.date) or isinstance(spec.date, datetime.datetime):
        raise invalid(f"{field}date", _("not a date"))
    if spec.date > today:
        raise invalid(f"{field}date", _("may not be in the future"))
    documents = list(spec.documents)
    if any(d.estate_id != estate.pk for d in documents):
        raise invalid(f"{field}documents", _("no such document in this estate"))
    if spec.approval is not None and spec.approval.estate_id != estate.pk:
        raise invalid(f"{field}approval", _("no such approval in this estate"))
    if spec.reverses is not None and spec.reverses.estate_id != estate.pk:
        raise invalid(f"{field}reverses", _("no such entry in this estate"))
    return _Prepared(spec=spec, reference=clean_text("reference", spec.reference),
                     description=clean_text("description", spec.description, required=True),
                     counterparty=clean_text("counterparty", spec.counterparty),
                     staff_note=clean_text("staff_note", spec.staff_note),
                     lines=_resolve_lines(estate, spec.lines), documents=documents)


def _existing_references(estate, references: list[str]) -> dict[str, JournalEntry]:
    found = {}
    for start in range(0, len(references), 500):  # SQLite limits the number of parameters
        found.update((e.reference, e) for e in JournalEntry.objects.filter(
            estate=estate, reference__in=references[start:start + 500]))
    return found


@transaction.atomic
def entries_post_many(*, estate, actor: Actor | None, specs: Sequence[EntrySpec],
                      check_permission: bool = True) -> list[JournalEntry]:
    """Post many entries in order, all or nothing: the head is locked once, the closed period and the references
    read once, and the rows inserted in bulk (2,000 fund deposits are a handful of queries, not 20,000). An entry
    whose reference is already posted is returned as it is, with nothing written for it."""
    if check_permission and (actor is None or not LedgerPolicy.can(actor, "post")):
        raise Forbidden()
    today = timezone.localdate()
    many = len(specs) > 1
    prepared = [_prepare(estate, spec, today, f"entries[{i}]." if many else "") for i, spec in enumerate(specs)]
    references = [p.reference for p in prepared if p.reference]
    if len(set(references)) != len(references):
        raise invalid("reference", _("the same reference twice in one batch"))
    existing = _existing_references(estate, references) if references else {}

    head = _lock_head(estate)
    closed = closed_through(estate)
    now = timezone.now().replace(microsecond=0)
    user = actor.user if actor is not None else None
    role, label = actor_role(actor), _actor_label(actor)
    seq, prev = head.seq, head.hash
    new: list[tuple[JournalEntry, _Prepared]] = []
    result = []
    for p in prepared:
        if p.reference in existing:
            result.append(existing[p.reference])
            continue
        spec = p.spec
        if closed is not None and spec.date <= closed:
            raise period_closed(spec.date, closed)
        seq += 1
        nonce = secrets.token_hex(16)
        digest = chain.private_digest(
            nonce=nonce, counterparty=p.counterparty, staff_note=p.staff_note, actor_id=getattr(user, "pk", None),
            actor_label=label, private_documents=[d.sha256 for d in p.documents if d.staff_only])
        text = chain.body(
            estate_id=estate.pk, seq=seq, date=spec.date, posted_at=chain.instant(now), kind=spec.kind,
            description=p.description, counterparty="" if spec.counterparty_private else p.counterparty,
            reference=p.reference, reverses_seq=spec.reverses.seq if spec.reverses is not None else None,
            actor_role=role, approval_id=spec.approval.pk if spec.approval is not None else None,
            private_digest=digest, public_documents=[d.sha256 for d in p.documents if not d.staff_only],
            lines=[chain.line_text(a.code, chain.money(d), chain.money(c)) for a, d, c in p.lines])
        entry_hash = chain.link(prev, text)
        entry = JournalEntry(
            estate=estate, seq=seq, date=spec.date, posted_at=now, kind=spec.kind, description=p.description,
            counterparty=p.counterparty, counterparty_private=spec.counterparty_private, reference=p.reference,
            reverses=spec.reverses, actor=user, actor_role=role, actor_label=label, approval=spec.approval,
            staff_note=p.staff_note, nonce=nonce, private_digest=digest, prev_hash=prev, hash=entry_hash)
        prev = entry_hash
        new.append((entry, p))
        result.append(entry)
    if new:
        try:
            with transaction.atomic():
                JournalEntry.objects.bulk_create([e for e, _p in new], batch_size=1000)
        except IntegrityError:
            if references and _existing_references(estate, references):
                raise Conflict(_("This reference was posted at the same moment; retry to get the entry."),
                               code="reference_race") from None
            raise
        JournalLine.objects.bulk_create(
            [JournalLine(estate=estate, entry=e, line_no=i, account=a, debit=d, credit=c)
             for e, p in new for i, (a, d, c) in enumerate(p.lines, start=1)], batch_size=2000)
        EntryDocument.objects.bulk_create([EntryDocument(estate=estate, entry=e, document=d)
                                           for e, p in new for d in p.documents])
        LedgerHead.objects.filter(pk=estate.pk).update(seq=seq, hash=prev)
    return result


def _lock_head(estate) -> LedgerHead:
    LedgerHead.objects.get_or_create(estate=estate, defaults={"seq": 0, "hash": chain.GENESIS})
    return LedgerHead.objects.select_for_update().get(pk=estate.pk)


@transaction.atomic
def entry_reverse(*, actor: Actor, entry: JournalEntry, reason: str,
                  date: datetime.date | None = None) -> JournalEntry:
    """Correct a posted entry by appending its mirror image (debits and credits swapped), pointing at it.

    The reversal is dated today (or ``date``, which must be in an open period); reversing the same entry twice
    returns the first reversal. A reversal is not itself reversed: post the right entry instead."""
    if not LedgerPolicy.can(actor, "reverse"):
        raise Forbidden()
    if entry.estate_id != actor.estate.pk:
        raise NotFound()
    reason = clean_text("description", reason, required=True)
    if entry.kind == EntryKind.REVERSAL:
        raise Conflict(_("A reversal cannot be reversed; post the correct entry instead."),
                       code="reversal_of_reversal")
    existing = JournalEntry.objects.filter(reverses=entry).first()
    if existing is not None:
        return existing
    lines = [Line(account=ln.account, debit=ln.credit, credit=ln.debit)
             for ln in entry.lines.select_related("account").order_by("line_no")]
    description = str(_("Reversal of #%(seq)s: %(reason)s") % {"seq": entry.seq, "reason": reason})
    return entry_post(estate=actor.estate, actor=actor, date=date or timezone.localdate(), kind=EntryKind.REVERSAL,
                      description=description[:TEXT_LIMITS["description"]], lines=lines,
                      counterparty=entry.counterparty, counterparty_private=entry.counterparty_private,
                      reference=f"reversal:{entry.seq}", reverses=entry)


def _month_end(start: datetime.date) -> datetime.date:
    nxt = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def next_period_to_close(estate) -> datetime.date | None:
    """The first day of the month that may be closed next: the month after the last closed one, or the month of
    the earliest entry when nothing is closed yet; None when there is nothing to close (or it has not ended)."""
    last = closed_through(estate)
    if last is not None:
        start = last + datetime.timedelta(days=1)
    else:
        first = JournalEntry.objects.filter(estate=estate).order_by("date").values_list("date", flat=True).first()
        if first is None:
            return None
        start = first.replace(day=1)
    return start if _month_end(start) < timezone.localdate() else None


@transaction.atomic
def period_close(*, actor: Actor, year: int, month: int) -> Checkpoint:
    """Close a calendar month of the actor's estate: sign the chain head as it stands and refuse entries dated
    in it (or before) from now on. Months close in order; closing a closed month returns its checkpoint."""
    if not LedgerPolicy.can(actor, "close"):
        raise Forbidden()
    estate = actor.estate
    try:
        start = datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise invalid("month", _("not a month")) from None
    head = _lock_head(estate)
    done = Checkpoint.objects.filter(estate=estate, period_start=start).first()
    if done is not None:
        return done
    expected = next_period_to_close(estate)
    if expected != start:
        if _month_end(start) >= timezone.localdate():
            raise Conflict(_("%(month)s has not ended yet."), code="period_not_ended", month=f"{start:%Y-%m}")
        raise Conflict(_("Close the periods in order: the next one to close is %(next)s."),
                       code="period_out_of_order", detail={"next": expected.isoformat() if expected else None},
                       next=f"{expected:%Y-%m}" if expected else "-")
    end = _month_end(start)
    signed_at = timezone.now().replace(microsecond=0)
    message = chain.checkpoint_message(estate_id=estate.pk, period_start=start, period_end=end, head_seq=head.seq,
                                       head_hash=head.hash, signed_at=chain.instant(signed_at))
    return Checkpoint.objects.create(
        estate=estate, period_start=start, period_end=end, head_seq=head.seq, head_hash=head.hash,
        signed_at=signed_at, public_key=signing.public_key_hex(), signature=signing.sign(message),
        closed_by=actor.user)


def document_store(*, actor: Actor, upload, staff_only: bool = False, check_permission: bool = True) -> Document:
    """Keep an uploaded file (an invoice, a contract, a photo) as a ledger document, named by its SHA-256.

    ``upload`` is a Django ``UploadedFile``. The notices' attachment checks apply (size limit; PDFs with active
    content and anything that is not a PDF or an image refused; images re-encoded without EXIF)."""
    from django.core.files.base import ContentFile

    from gongzhi.notices.attachments import check_upload, clean_filename

    if check_permission and not LedgerPolicy.can(actor, "upload"):
        raise Forbidden()
    checked = check_upload(upload)
    digest = hashlib.sha256(checked.data).hexdigest()
    doc = Document(estate=actor.estate, name=clean_filename(getattr(upload, "name", ""), checked.extension),
                   content_type=checked.content_type, size=len(checked.data), sha256=digest,
                   staff_only=staff_only, uploaded_by=actor.user)
    doc.file.save(f"{digest}.{checked.extension}", ContentFile(checked.data), save=False)
    doc.save()
    return doc
