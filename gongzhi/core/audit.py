"""The audit log: who did what to which object, with the state before and after."""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-safe data (foreign keys as ids)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def _actor_label(user) -> str:
    if user is None:
        return "system"
    return f"{getattr(user, 'name', '') or ''} {getattr(user, 'phone', '')}".strip()


def audit_entry(*, user, estate, action: str, obj: models.Model | None = None,
                before: dict | None = None, after: dict | None = None, label: str = "") -> AuditEntry:
    return AuditEntry(
        estate=estate,
        actor=user,
        actor_label=_actor_label(user),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_label=(label or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
    )


def audit(*, user, estate, action: str, obj: models.Model | None = None,
          before: dict | None = None, after: dict | None = None, label: str = "") -> AuditEntry:
    """Record one write. Call it inside the service's transaction so the record and the write land together."""
    entry = audit_entry(user=user, estate=estate, action=action, obj=obj, before=before, after=after, label=label)
    entry.save()
    return entry


def audit_many(entries: list[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
