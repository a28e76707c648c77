"""Tickets: repairs, complaints and suggestions, their categories, timeline and comments."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import Channel, HoldReason, Priority, Scope, SlaClock, SlaState, TicketKind, TicketStatus


class Category(TenantModel):
    """A kind of problem in one estate (plumbing, elevator, noise...), with its default priority, SLA and skill."""

    policy = "gongzhi.tickets.policies.CategoryPolicy"

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("ticket kind"), max_length=16, choices=TicketKind.choices)
    default_priority = models.CharField(_("default priority"), max_length=16, choices=Priority.choices,
                                        default=Priority.NORMAL)
    skill = models.CharField(_("skill"), max_length=40, blank=True,
                             help_text=_("The skill a technician needs for this category, e.g. plumbing."))
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"), validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"),
                                                     validators=[MinValueValidator(1)])
    sla_clock = models.CharField(_("SLA clock"), max_length=16, choices=SlaClock.choices, default=SlaClock.CALENDAR,
                                 help_text=_("Whether the targets count calendar time or the estate's working hours."))
    sort_key = models.IntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["sort_key", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="ticket_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class Ticket(TenantModel):
    policy = "gongzhi.tickets.policies.TicketPolicy"

    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=TicketKind.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="tickets")
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    house = models.ForeignKey("estate.House", verbose_name=_("house"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="tickets")
    building = models.ForeignKey("estate.Building", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="tickets")
    unit = models.ForeignKey("estate.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="tickets")
    place = models.CharField(_("place"), max_length=120, blank=True,
                             help_text=_("Where in the common area, e.g. the north gate or the B2 car park."))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, related_name="submitted_tickets")
    on_behalf_of_person = models.ForeignKey("estate.Person", verbose_name=_("on behalf of"), null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="tickets")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    anonymous = models.BooleanField(_("anonymous to staff"), default=False,
                                    help_text=_("Complaints only: staff below the manager do not see who submitted."))
    about_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("about staff member"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="complaints_about",
                                    help_text=_("A complaint about a staff member goes to the manager only."))
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices,
                              default=TicketStatus.SUBMITTED)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_tickets")
    hold_reason = models.CharField(_("on hold because"), max_length=16, choices=HoldReason.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # SLA (gongzhi.tickets.sla). Targets are copied from the category when the ticket is submitted, so a later
    # change of the category's targets does not move an open ticket's deadlines.
    sla_clock = models.CharField(_("SLA clock"), max_length=16, choices=SlaClock.choices, default=SlaClock.CALENDAR)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    sla_state = models.CharField(_("SLA"), max_length=16, choices=SlaState.choices, default=SlaState.NONE)
    # When the sweep next has something to do for this ticket (at risk, breach, next escalation); null = nothing.
    # Not indexed here: the database copies it into TicketSlaCheck, whose index the sweep reads (migration 0008).
    sla_next_check_at = models.DateTimeField(null=True, blank=True)
    # The running targets' thresholds, stored with their due instants (in the ticket's clock, with the estate's
    # shares at that moment) so that the sweep needs no clock arithmetic: "at risk" from ..., escalated from ...
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    response_escalate_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_escalate_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_minutes = models.PositiveIntegerField(_("SLA paused (minutes)"), default=0)
    # Working or calendar minutes of the resolution target still left when the clock was paused.
    sla_remaining_minutes = models.IntegerField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Kept for reporting: once set, never cleared (not by reopening either).
    response_breached = models.BooleanField(_("response target missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution target missed"), default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="ticket_unique_number"),
            models.UniqueConstraint(fields=["estate", "submitted_by", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="ticket_unique_idempotency_key"),
            models.CheckConstraint(condition=~Q(scope="private") | Q(house__isnull=False),
                                   name="ticket_private_has_house"),
            models.CheckConstraint(condition=Q(anonymous=False) | Q(kind="complaint"),
                                   name="ticket_only_complaints_anonymous"),
            models.CheckConstraint(condition=Q(about_staff__isnull=True) | Q(kind="complaint"),
                                   name="ticket_only_complaints_about_staff"),
        ]
        indexes = [
            models.Index(fields=["estate", "status", "assignee"], name="ticket_queue"),
            models.Index(fields=["estate", "house"], name="ticket_estate_house"),
            # The staff list filtered by state and category, and by assignee, newest first (bench/README.md).
            models.Index(fields=["estate", "status", "category", "id"], name="ticket_list_status_category"),
            models.Index(fields=["estate", "assignee", "id"], name="ticket_list_assignee"),
            # No index on a column the sweep writes (migration 0008): on PostgreSQL its writes are then heap-only
            # (HOT), in the room the table keeps on each page for them (fillfactor 50, same migration).
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TicketSlaCheck(TenantModel):
    """The tickets the SLA sweep has to look at, and when: a copy of ``Ticket.sla_next_check_at`` for every ticket
    that has one, kept by the database itself (the triggers of migration 0008), whoever writes the ticket (the
    services, a bulk update, the sweep). Never written by the application.

    Why a table of its own: an index on the ticket's own column would make every write of the sweep a new version
    of the wide ticket row in each of its 16 indexes on PostgreSQL; with the column unindexed there, those writes
    are heap-only (HOT) and only this narrow row and its two indexes change (ADR 0009, bench/README.md)."""

    policy = "gongzhi.tickets.sla.SlaCheckPolicy"

    # The estate (habit 4), without an index of its own: the sweep reads by due time, across estates.
    estate = models.ForeignKey("estate.Estate", verbose_name=_("estate"), on_delete=models.PROTECT,
                               related_name="+", db_index=False)
    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), primary_key=True, on_delete=models.CASCADE,
                                  related_name="sla_check")
    next_check_at = models.DateTimeField(_("next check at"))

    class Meta:
        verbose_name = _("SLA check")
        verbose_name_plural = _("SLA checks")
        indexes = [models.Index(fields=["next_check_at"], name="ticket_sla_check_due")]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.next_check_at}"


class TicketEvent(TenantModel):
    """One step on a ticket's timeline. Append-only in the database (migration 0002)."""

    policy = "gongzhi.tickets.policies.TicketEventPolicy"

    # No index of its own: ticket_event_timeline (ticket, at) serves every lookup by ticket (migration 0008).
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events",
                               db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    # A workflow action (choices.Action), or one the system takes: sla_at_risk, sla_breach, escalate, auto_close.
    action = models.CharField(_("action"), max_length=16)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    # db_default: the SLA sweep appends its steps with a bulk INSERT that does not name the column.
    hold_reason = models.CharField(_("on hold because"), max_length=16, choices=HoldReason.choices, blank=True,
                                   default="", db_default="")

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_timeline")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.from_status}→{self.to_status}"


class Comment(TenantModel):
    policy = "gongzhi.tickets.policies.CommentPolicy"

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal note"), default=False,
                                   help_text=_("Seen by staff only, never by the resident."))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.author_id}"


def ticket_photo_path(instance, filename: str) -> str:
    """tickets/<estate_id>/<ticket_id>/<uuid>.<ext>: the name is made by gongzhi.tickets.photos, never the
    uploader's."""
    return f"tickets/{instance.estate_id}/{instance.ticket_id}/{filename}"


class TicketPhoto(TenantModel):
    """A photo of a ticket, or of one of its comments. The stored image is re-encoded without any metadata (no EXIF
    location) and is served only through the API to people who may see the ticket, never from a public URL."""

    policy = "gongzhi.tickets.photos.TicketPhotoPolicy"

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="photos")
    comment = models.ForeignKey(Comment, verbose_name=_("comment"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="photos")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    image = models.FileField(_("image"), upload_to=ticket_photo_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=ticket_photo_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("ticket photo")
        verbose_name_plural = _("ticket photos")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "comment"], name="ticket_photo_owner")]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.image.name}"
