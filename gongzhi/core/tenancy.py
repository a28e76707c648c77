"""Tenant-owned rows: every one carries a non-null estate (DESIGN.md habit 4)."""

from functools import cache

from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@cache
def _policy(path: str):
    return import_string(path)


class TenantQuerySet(models.QuerySet):
    def for_estate(self, estate):
        return self.filter(estate=estate)

    def restrict(self, actor, action: str = "view"):
        """Only the rows ``actor`` may do ``action`` on, within the actor's estate."""
        return _policy(self.model.policy).scope(actor, self.for_estate(actor.estate), action)


class TenantModel(models.Model):
    estate = models.ForeignKey("estate.Estate", verbose_name=_("estate"), on_delete=models.PROTECT,
                               related_name="+")
    objects = TenantQuerySet.as_manager()

    policy: str = ""

    class Meta:
        abstract = True
