"""Stories of corrections and withdrawals: a published notice is never edited."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.core.audit import AuditEntry
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.notices import attachments, selectors, services
from gongzhi.notices.models import Notice
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def published(board, **kwargs):
    fields = {"title": "停水通知", "body": "周六停水", "target": "estate"}
    fields.update(kwargs)
    notice = services.notice_create(actor=board.manager, **fields)
    attachments.notice_attachment_add(actor=board.manager, notice_id=notice.pk,
                                      upload=SimpleUploadedFile("plan.pdf", PDF_BYTES))
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def feed_ids(actor):
    return set(selectors.notice_feed(actor=actor).values_list("pk", flat=True))


def test_a_correction_replaces_the_original_for_residents_once_published(board):
    original = published(board)
    # when the office starts a correction
    correction = services.notice_supersede(actor=board.manager, notice_id=original.pk, body="周日停水")
    # then it is a draft copy pointing at the original, with its own copy of the attachment
    assert correction.status == "draft" and correction.supersedes_id == original.pk
    assert correction.title == "停水通知" and correction.body == "周日停水"
    copy = correction.attachments.get()
    assert copy.file.name != original.attachments.get().file.name and copy.file.read() == PDF_BYTES
    # and residents still see the original until the correction is published
    assert feed_ids(board.resident) == {original.pk}
    services.notice_publish(actor=board.manager, notice_id=correction.pk)
    # then residents see only the correction; the original is superseded in the archive
    assert feed_ids(board.resident) == {correction.pk}
    original.refresh_from_db()
    assert original.state() == "superseded" and original.correction() == correction
    assert AuditEntry.objects.filter(action="notice.supersede", object_id=str(correction.pk)).exists()


def test_the_chain_of_corrections_goes_through_the_latest(board):
    first = published(board)
    second = services.notice_supersede(actor=board.manager, notice_id=first.pk, title="停水通知（更正）")
    services.notice_publish(actor=board.manager, notice_id=second.pk)
    # a second correction of the first one is refused: correct the correction
    with pytest.raises(Conflict) as caught:
        services.notice_supersede(actor=board.manager, notice_id=first.pk)
    assert caught.value.code == "notice_superseded" and caught.value.detail == {"correction_id": second.pk}
    third = services.notice_supersede(actor=board.manager, notice_id=second.pk, title="停水通知（再更正）")
    services.notice_publish(actor=board.manager, notice_id=third.pk)
    assert feed_ids(board.resident) == {third.pk}
    states = {n.pk: n.state() for n in Notice.objects.all()}
    assert states == {first.pk: "superseded", second.pk: "superseded", third.pk: "current"}


def test_a_draft_cannot_be_corrected(board):
    notice = services.notice_create(actor=board.manager, title="t", body="b")
    with pytest.raises(Conflict) as caught:
        services.notice_supersede(actor=board.manager, notice_id=notice.pk)
    assert caught.value.code == "notice_not_published"


def test_withdrawing_needs_a_reason_hides_it_from_residents_and_keeps_it_in_the_archive(board):
    notice = published(board)
    with pytest.raises(DomainError) as caught:
        services.notice_withdraw(actor=board.manager, notice_id=notice.pk, reason="  ")
    assert caught.value.detail == {"field": "reason"}
    services.notice_withdraw(actor=board.manager, notice_id=notice.pk, reason="计划取消")
    notice.refresh_from_db()
    assert notice.status == "withdrawn" and notice.withdraw_reason == "计划取消"
    assert notice.withdrawn_by == board.manager.user
    assert feed_ids(board.resident) == set()
    assert selectors.notice_list(actor=board.technician, state="withdrawn").get() == notice
    entry = AuditEntry.objects.get(action="notice.withdraw")
    assert entry.before["status"] == "published" and entry.after["withdraw_reason"] == "计划取消"
    with pytest.raises(Conflict):
        services.notice_withdraw(actor=board.manager, notice_id=notice.pk, reason="again")
