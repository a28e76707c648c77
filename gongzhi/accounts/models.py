from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        user = self.model(phone=phone, **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in, with a mainland mobile number. Platform admins are superusers."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    email = models.EmailField(_("email address"), null=True, blank=True,
                              help_text=_("Optional: notifications are also sent here when given."))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans",
                                help_text=_("The language notifications are written in."))
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform admin"), default=False,
                                   help_text=_("May use the Django admin site."))
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.phone

    def get_short_name(self) -> str:
        return self.name or self.phone

    def get_full_name(self) -> str:
        return self.name or self.phone


class Membership(models.Model):
    """A user's role in one estate. Revoking ends it (``ended_at``); the row stays for the record."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    estate = models.ForeignKey("estate.Estate", verbose_name=_("estate"), on_delete=models.CASCADE,
                               related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "estate", "role"], condition=models.Q(ended_at__isnull=True),
                                    name="membership_one_active_role"),
        ]
        indexes = [models.Index(fields=["user", "estate"], name="membership_user_estate")]

    def __str__(self) -> str:
        return f"{self.user} · {self.estate_id} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for apps and integrations. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    estate_ids = models.JSONField(_("estates"), default=list,
                                  help_text=_("The estates this token may act in."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
