"""The journal: append-only, hash-chained, double-entry (ADR 0010).

Each estate has one chain. ``seq`` numbers its entries 1, 2, 3... without gaps; ``hash`` covers the entry's
canonical text (``gongzhi.ledger.chain``) and ``prev_hash``, the previous entry's hash. The database refuses
UPDATE and DELETE on every table here (migration 0001), so a mistake is corrected by a reversing entry that points
at it. A period close appends a ``Checkpoint``: the chain head signed with the installation's Ed25519 key.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import EntryKind


class JournalEntry(TenantModel):
    policy = "gongzhi.ledger.policies.LedgerPolicy"

    seq = models.PositiveBigIntegerField(_("number"))
    date = models.DateField(_("date"))
    posted_at = models.DateTimeField(_("posted at"))
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices)
    description = models.CharField(_("description"), max_length=200)
    counterparty = models.CharField(_("counterparty"), max_length=120, blank=True)
    counterparty_private = models.BooleanField(
        _("counterparty is private"), default=False,
        help_text=_("A resident paying or being refunded: owners see the amount, not who."))
    reference = models.CharField(_("reference"), max_length=80, blank=True,
                                 help_text=_("The source's own key (a payment, an expense, a project payment); "
                                             "posting the same reference twice returns the first entry."))
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("posted by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(_("role of the poster"), max_length=32, blank=True)
    actor_label = models.CharField(_("poster"), max_length=120, blank=True)
    approval = models.ForeignKey("ledger.Approval", verbose_name=_("approval"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="entries")
    staff_note = models.CharField(_("staff note"), max_length=500, blank=True)
    nonce = models.CharField(max_length=32)
    private_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["estate", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "seq"], name="ledger_entry_seq_unique"),
            models.UniqueConstraint(fields=["estate", "reference"], condition=~Q(reference=""),
                                    name="ledger_entry_reference_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
        ]
        indexes = [models.Index(fields=["estate", "date"], name="ledger_entry_date"),
                   models.Index(fields=["estate", "kind", "date"], name="ledger_entry_kind")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.date} {self.description}"


class JournalLine(TenantModel):
    """One side of an entry: an amount on the debit or the credit side of one account (exactly one side)."""

    policy = "gongzhi.ledger.policies.LedgerPolicy"

    entry = models.ForeignKey(JournalEntry, verbose_name=_("entry"), on_delete=models.PROTECT,
                              related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("line"))
    account = models.ForeignKey("ledger.Account", verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="lines")
    debit = models.DecimalField(_("debit"), max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(_("credit"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["entry", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "line_no"], name="ledger_line_no_unique"),
            models.CheckConstraint(condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                                   name="ledger_line_one_side"),
        ]


class EntryDocument(TenantModel):
    policy = "gongzhi.ledger.policies.LedgerPolicy"

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="entry_documents")
    document = models.ForeignKey("ledger.Document", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "document"], name="ledger_entry_document_unique")]


class Checkpoint(TenantModel):
    """A closed period (a calendar month): the chain head at the close, signed with Ed25519.

    ``head_seq``/``head_hash`` are the last entry when the period was closed; entries dated in or before the
    period are refused from then on. ``public_key`` is the signer's key (hex); verification trusts only the keys
    the installation publishes (settings.LEDGER_TRUSTED_KEYS and the signing key's own), never the row's word."""

    policy = "gongzhi.ledger.policies.LedgerPolicy"

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    head_seq = models.PositiveBigIntegerField(_("last entry"))
    head_hash = models.CharField(_("chain head"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    public_key = models.CharField(_("public key"), max_length=64)
    signature = models.CharField(_("signature"), max_length=128)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["estate", "period_start"]
        constraints = [models.UniqueConstraint(fields=["estate", "period_start"], name="ledger_checkpoint_period")]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} #{self.head_seq}"


class LedgerHead(models.Model):
    """The chain's head per estate: the last ``seq`` and ``hash``. Posting locks this row, so entries are numbered
    one at a time without gaps even under concurrent posting (the only mutable ledger table)."""

    estate = models.OneToOneField("estate.Estate", primary_key=True, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.estate_id}: #{self.seq}"
