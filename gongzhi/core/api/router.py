from datetime import datetime

from ninja import Router, Schema

from ..pagination import paginate
from ..selectors import audit_list
from . import api_actor

router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    before: dict | None
    after: dict | None


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None


@router.get("/estates/{estate_id}/audit", response=AuditPage, summary="The estate's audit log (managers)")
def audit_entries(request, estate_id: int, action: str | None = None, object_type: str | None = None,
                  cursor: str | None = None, limit: int = 50):
    """Every write in the estate, newest first: actor, time, action, object, state before and after."""
    actor = api_actor(request, estate_id)
    qs = audit_list(actor=actor, action=action, object_type=object_type)
    page = paginate(qs, cursor=cursor, limit=limit, descending=True)
    return {"items": page.items, "next_cursor": page.next_cursor}
