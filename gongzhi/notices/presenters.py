"""Notices as the API and the pages show them."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import NoticeCategory, NoticeKind, NoticeState, NoticeStatus, NoticeTarget
from .policies import NoticePolicy


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def unit_label(unit) -> str:
    return _("Building %(building)s, unit %(unit)s") % {"building": unit.building.name, "unit": unit.name}


def _superseded_by_id(notice):
    correction = notice.correction()
    return correction.pk if correction is not None else None


def notice_row_data(actor, notice, now=None) -> dict:
    now = now or timezone.now()
    state = notice.state(now)
    return {
        "id": notice.pk,
        "title": notice.title,
        "kind": notice.kind,
        "kind_label": _label(NoticeKind, notice.kind),
        "category": notice.category,
        "category_label": _label(NoticeCategory, notice.category),
        "important": notice.important,
        "target": notice.target,
        "target_label": _label(NoticeTarget, notice.target),
        "building_ids": [b.pk for b in notice.buildings.all()],
        "unit_ids": [u.pk for u in notice.units.all()],
        "target_names": [str(b) for b in notice.buildings.all()] + [unit_label(u) for u in notice.units.all()],
        "status": notice.status,
        "state": state,
        "state_label": _label(NoticeState, state),
        "pinned": notice.is_emergency and state == NoticeState.CURRENT,
        "publish_at": notice.publish_at,
        "published_at": notice.published_at,
        "expires_at": notice.expires_at,
        "supersedes_id": notice.supersedes_id,
        "superseded_by_id": _superseded_by_id(notice),
        "audience_houses": notice.audience_houses,
        "read": bool(getattr(notice, "read_by_me", False)),
    }


def attachment_data(notice, attachment) -> dict:
    return {"id": attachment.pk, "filename": attachment.filename, "content_type": attachment.content_type,
            "bytes": attachment.bytes, "is_image": attachment.is_image,
            "url": reverse("api:notice_attachment", args=[notice.estate_id, notice.pk, attachment.pk])}


def notice_detail_data(actor, notice, attachments, now=None) -> dict:
    data = notice_row_data(actor, notice, now)
    data.update(body=notice.body, created_at=notice.created_at,
                withdrawn_at=notice.withdrawn_at if NoticePolicy.sees_archive(actor) else None,
                withdraw_reason=notice.withdraw_reason if NoticePolicy.sees_archive(actor) else "",
                last_reminded_at=notice.last_reminded_at if NoticePolicy.can(actor, "receipts") else None,
                editable=notice.status in (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED),
                attachments=[attachment_data(notice, a) for a in attachments])
    return data
