from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "gongzhi.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Signal receivers: follow-up visits when a ticket closes, the charge of a paid repair when it is resolved.
        from . import feedback, quotes  # noqa: F401
