"""Notices (通知公告): published to the estate or to chosen buildings and units, with read receipts per house.

A notice is written as a draft, then published at once or at ``publish_at`` (a periodic job publishes the due ones).
At publication its audience, the houses it reaches, is frozen into ``NoticeHouse``: that table is both "who was
told" and the read receipts (one row per house; ``read_at`` is set the first time anyone of the household opens
the notice), so counts do not move when people move in or out later. A published notice is never edited: a
correction supersedes it (``supersedes``), and withdrawing it is recorded with a reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from .choices import NoticeCategory, NoticeKind, NoticeState, NoticeStatus, NoticeTarget


class Notice(TenantModel):
    policy = "gongzhi.notices.policies.NoticePolicy"

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), help_text=_("Plain text; line breaks are kept."))
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices, default=NoticeKind.ROUTINE)
    category = models.CharField(_("category"), max_length=16, choices=NoticeCategory.choices, blank=True)
    important = models.BooleanField(_("important"), default=False,
                                    help_text=_("Residents are notified, and the office follows up on unread "
                                                "houses."))
    target = models.CharField(_("audience"), max_length=16, choices=NoticeTarget.choices,
                              default=NoticeTarget.ESTATE)
    buildings = models.ManyToManyField("estate.Building", verbose_name=_("buildings"), blank=True,
                                       related_name="+")
    units = models.ManyToManyField("estate.Unit", verbose_name=_("units"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    supersedes = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="superseded_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT,
                                   related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    audience_houses = models.PositiveIntegerField(_("houses reached"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__isnull=True) | Q(publish_at__isnull=True)
                                   | Q(expires_at__gt=models.F("publish_at")), name="notice_expires_after_publish"),
            models.CheckConstraint(condition=~Q(status=NoticeStatus.PUBLISHED) | Q(published_at__isnull=False),
                                   name="notice_published_has_time"),
            models.CheckConstraint(condition=~Q(status=NoticeStatus.SCHEDULED) | Q(publish_at__isnull=False),
                                   name="notice_scheduled_has_time"),
            models.CheckConstraint(condition=~Q(status=NoticeStatus.WITHDRAWN) | ~Q(withdraw_reason=""),
                                   name="notice_withdrawn_has_reason"),
        ]
        indexes = [
            models.Index(fields=["estate", "status", "id"], name="notice_estate_status"),
            models.Index(fields=["status", "publish_at"], name="notice_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_emergency(self) -> bool:
        return self.kind == NoticeKind.EMERGENCY

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def correction(self):
        """The published notice that corrects this one, or None."""
        try:
            correction = self.superseded_by
        except Notice.DoesNotExist:
            return None
        return correction if correction.status == NoticeStatus.PUBLISHED else None

    def state(self, now=None) -> str:
        if self.status != NoticeStatus.PUBLISHED:
            return self.status
        if self.correction() is not None:
            return NoticeState.SUPERSEDED
        if self.is_expired(now):
            return NoticeState.EXPIRED
        return NoticeState.CURRENT


class NoticeHouse(TenantModel):
    """One house in a published notice's frozen audience, and its read receipt: ``read_at``/``read_by`` are set
    once, by the first member of the household who opens the notice."""

    policy = "gongzhi.notices.policies.NoticeReceiptPolicy"

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="audience")
    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("estate.Building", verbose_name=_("building"), on_delete=models.PROTECT,
                                 related_name="+")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("read by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("notice read receipt")
        verbose_name_plural = _("notice read receipts")
        constraints = [models.UniqueConstraint(fields=["notice", "house"], name="notice_house_unique")]
        indexes = [models.Index(fields=["notice", "building", "read_at"], name="notice_house_progress"),
                   models.Index(fields=["house", "notice"], name="notice_house_by_house")]

    def __str__(self) -> str:
        return f"{self.notice_id} · {self.house_id}"


def notice_attachment_path(instance, filename: str) -> str:
    """notices/<estate_id>/<notice_id>/<uuid>.<ext>: the stored name is made by gongzhi.notices.attachments."""
    return f"notices/{instance.estate_id}/{instance.notice_id}/{filename}"


class NoticeAttachment(TenantModel):
    """A PDF or an image attached to a notice: checked by its content, images re-encoded without metadata, stored
    privately and served only through access-checked endpoints."""

    policy = "gongzhi.notices.policies.NoticeAttachmentPolicy"

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="attachments")
    file = models.FileField(_("file"), upload_to=notice_attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=40)
    bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice attachment")
        verbose_name_plural = _("notice attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
