"""The chart of accounts of one estate, and the documents (invoices, contracts, photos) entries carry."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import DEBIT_NORMAL, AccountGroup, AccountKind


class Account(TenantModel):
    """One account. The standard accounts (``gongzhi.ledger.chart``) are created with the estate's ledger and
    named by their ``code`` in the product's language; each house has its own maintenance-fund sub-account
    (``house`` set, ``parent`` the fund's account)."""

    policy = "gongzhi.ledger.policies.LedgerPolicy"

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=80, blank=True,
                            help_text=_("Only for accounts the estate adds; standard accounts are named by code."))
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    group = models.CharField(_("group"), max_length=24, choices=AccountGroup.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent account"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    house = models.ForeignKey("estate.House", verbose_name=_("house"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="ledger_account_code_unique"),
            models.UniqueConstraint(fields=["estate", "house"], condition=Q(house__isnull=False),
                                    name="ledger_account_one_per_house"),
        ]
        indexes = [models.Index(fields=["estate", "group"], name="ledger_account_group")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        from ..chart import account_label

        return account_label(self)

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL


def document_path(instance: "Document", filename: str) -> str:
    return f"ledger/{instance.estate_id}/{filename}"


class Document(TenantModel):
    """A file an entry, an expense or an approval rests on. Append-only (migration 0001): its SHA-256 goes into
    the chain, so the file an owner downloads can be checked against the ledger. Staff-only documents (payroll
    detail, a person's ID) are never shown on the public page; their digests are still committed to."""

    policy = "gongzhi.ledger.policies.LedgerPolicy"

    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    staff_only = models.BooleanField(_("staff only"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name
