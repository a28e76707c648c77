from .access import Actor
from .errors import Forbidden
from .models import AuditEntry
from .policies import AuditPolicy


def audit_list(*, actor: Actor, action: str | None = None, object_type: str | None = None):
    """The estate's audit log, newest first; managers only."""
    if not AuditPolicy.can(actor, "view"):
        raise Forbidden()
    qs = AuditEntry.objects.filter(estate=actor.estate)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
