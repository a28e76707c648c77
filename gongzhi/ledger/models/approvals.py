"""Approvals, and the expenses (and uses of public revenue) that wait for one.

An ``Approval`` records one decision with who took it, in which role, under which rule set, and for an owners'
decision the tally and the documents (minutes, ballots). It is append-only: a decision is never edited."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import ApprovalDecision, ApprovalKind, ExpenseStatus

MONEY = {"max_digits": 14, "decimal_places": 2}


class Approval(TenantModel):
    policy = "gongzhi.ledger.policies.LedgerPolicy"

    kind = models.CharField(_("kind"), max_length=24, choices=ApprovalKind.choices)
    decision = models.CharField(_("decision"), max_length=16, choices=ApprovalDecision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_by_role = models.CharField(_("role"), max_length=32, blank=True)
    decided_by_label = models.CharField(_("decided by"), max_length=120, blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    rule_set = models.CharField(_("rule set"), max_length=40, blank=True)
    tally = models.JSONField(_("tally"), null=True, blank=True,
                             help_text=_("For an owners' decision: area and headcount for, against, abstaining, "
                                         "and the totals they are compared with."))
    vote_ref = models.CharField(_("vote"), max_length=80, blank=True,
                                help_text=_("The governance vote this decision came from, once votes are held "
                                            "in Gongzhi."))

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_decision_display()}"


class ApprovalDocument(TenantModel):
    policy = "gongzhi.ledger.policies.LedgerPolicy"

    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, related_name="approval_documents")
    document = models.ForeignKey("ledger.Document", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["approval", "document"], name="ledger_approval_doc_unique")]


class ExpenseRequest(TenantModel):
    """An expense (or a use of the owners' public revenue) entered by finance with its documents. At or below
    the estate's approval threshold it is posted at once; above it, it waits for the owners' committee. A use
    of public revenue always needs the owners' decision (Civil Code art. 282)."""

    policy = "gongzhi.ledger.policies.LedgerPolicy"

    account = models.ForeignKey("ledger.Account", verbose_name=_("expense account"), on_delete=models.PROTECT,
                                related_name="+")
    pay_from = models.ForeignKey("ledger.Account", verbose_name=_("paid from"), on_delete=models.PROTECT,
                                 related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)
    date = models.DateField(_("date"))
    counterparty = models.CharField(_("payee"), max_length=120)
    description = models.CharField(_("description"), max_length=200)
    staff_note = models.CharField(_("staff note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ExpenseStatus.choices,
                              default=ExpenseStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("entered at"), default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)
    approval = models.OneToOneField(Approval, verbose_name=_("approval"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="expense")
    entry = models.OneToOneField("ledger.JournalEntry", verbose_name=_("entry"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="expense")

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_expense_amount_positive"),
            models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="ledger_expense_idempotency"),
        ]
        indexes = [models.Index(fields=["estate", "status", "id"], name="ledger_expense_status")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class ExpenseRequestDocument(TenantModel):
    policy = "gongzhi.ledger.policies.LedgerPolicy"

    expense = models.ForeignKey(ExpenseRequest, on_delete=models.CASCADE, related_name="expense_documents")
    document = models.ForeignKey("ledger.Document", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expense", "document"], name="ledger_expense_doc_unique")]
