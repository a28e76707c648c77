from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gongzhi.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import signals

        estate = "estate.Estate"
        post_save.connect(signals.estate_changed, sender=estate, dispatch_uid="gz-estate-saved")
        post_delete.connect(signals.estate_changed, sender=estate, dispatch_uid="gz-estate-deleted")
