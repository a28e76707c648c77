"""The residents' council (议事会): residents' proposals with co-signers, council meetings with their agenda,
attendees, minutes and decisions, and action items tracked to done."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

POLICY = "gongzhi.governance.council_policies.CouncilPolicy"


class ProposalStatus(models.TextChoices):
    COLLECTING = "collecting", _("Collecting co-signers")
    ON_AGENDA = "on_agenda", _("On the council's agenda")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")


class AttendeeKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    COMPANY = "company", _("Property company")
    COMMITTEE = "committee", _("Owners' committee")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Proposal(TenantModel):
    policy = POLICY

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("proposal"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=ProposalStatus.choices,
                              default=ProposalStatus.COLLECTING)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    on_agenda_at = models.DateTimeField(_("on the agenda since"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                               name="gov_proposal_idempotency")]
        indexes = [models.Index(fields=["estate", "status", "-id"], name="gov_proposal_status")]

    def __str__(self) -> str:
        return self.title


class ProposalCosign(TenantModel):
    """One person's co-signature (one per person and proposal)."""

    policy = POLICY

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="cosigns")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("co-signature")
        verbose_name_plural = _("co-signatures")
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="gov_cosign_once")]


class Meeting(TenantModel):
    policy = POLICY

    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=120)
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices,
                              default=MeetingStatus.PLANNED)
    # Published to residents when the meeting is marked held.
    minutes = models.TextField(_("minutes"), blank=True)
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("council meeting")
        verbose_name_plural = _("council meetings")
        constraints = [models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                               name="gov_meeting_idempotency")]
        indexes = [models.Index(fields=["estate", "-starts_at"], name="gov_meeting_time")]

    def __str__(self) -> str:
        return self.title


class AgendaItem(TenantModel):
    policy = POLICY

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    proposal = models.ForeignKey(Proposal, verbose_name=_("proposal"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="agenda_items")

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="gov_agenda_position"),
                       models.UniqueConstraint(fields=["meeting", "proposal"], condition=Q(proposal__isnull=False),
                                               name="gov_agenda_proposal_once")]

    def __str__(self) -> str:
        return self.title


class Attendee(TenantModel):
    policy = POLICY

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendees")
    kind = models.CharField(_("attends for"), max_length=24, choices=AttendeeKind.choices)
    name = models.CharField(_("name"), max_length=60)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [models.UniqueConstraint(fields=["meeting", "kind", "name"], name="gov_attendee_once")]


class Decision(TenantModel):
    """The council's decision on one agenda item; it may open an owners' vote (a draft the organisers complete)."""

    policy = POLICY

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    agenda_item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="decision")
    text = models.TextField(_("decision"))
    vote = models.OneToOneField("governance.Vote", verbose_name=_("owners' vote"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="council_decision")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")


class ActionItem(TenantModel):
    policy = POLICY

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(_("action"), max_length=200)
    owner_name = models.CharField(_("owner"), max_length=60)
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner's login"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("how it was done"), blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    last_reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                               name="gov_action_idempotency")]
        indexes = [models.Index(fields=["estate", "status", "due_date"], name="gov_action_due")]

    def __str__(self) -> str:
        return self.title
