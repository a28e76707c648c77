"""The notices pages: the resident's feed and detail, the console's list, editor, publishing, correction,
withdrawal and receipts. Forms post to the same page and show service errors in place."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongzhi.notices import services
from gongzhi.notices.models import Notice, NoticeHouse
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def client_for(actor) -> Client:
    """Pages in English, so the assertions do not depend on the catalogue."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, board, *args):
    return reverse(f"notices:{name}", args=[board.estate.pk, *args])


def publish(board, **kwargs):
    fields = {"title": "电梯停运", "body": "1号楼电梯检修\n<b>请走楼梯</b>", "kind": "emergency",
              "category": "elevator_stop", "target": "buildings", "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    notice = services.notice_create(actor=board.manager, **fields)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    return notice


def test_the_feed_pins_emergencies_and_the_detail_marks_read_with_the_text_escaped(board):
    routine = publish(board, title="绿化修剪", kind="routine", category="", target="estate")
    emergency = publish(board)
    client = client_for(board.resident)
    page = client.get(url("feed", board)).content.decode()
    assert page.index("电梯停运") < page.index("绿化修剪")
    assert 'class="pinned"' in page
    detail = client.get(url("detail", board, emergency.pk))
    body = detail.content.decode()
    assert detail.status_code == 200 and "&lt;b&gt;请走楼梯&lt;/b&gt;" in body and "<br>" in body
    assert NoticeHouse.objects.get(notice=emergency, house=board.home).read_at is not None
    assert NoticeHouse.objects.get(notice=routine, house=board.home).read_at is None


def test_a_building_2_resident_gets_404_and_no_console(board):
    notice = publish(board)
    client = client_for(board.far)
    assert client.get(url("detail", board, notice.pk)).status_code == 404
    assert client.get(url("console", board)).status_code == 403
    assert client.get(url("receipts", board, notice.pk)).status_code == 403


def test_the_office_writes_a_draft_with_a_target_and_sees_errors_in_place(board):
    client = client_for(board.customer_service)
    bad = client.post(url("new", board), {"title": "停水", "body": "周六停水", "kind": "emergency", "category": "",
                                           "target": "buildings", "buildings": [board.b1.pk]})
    assert bad.status_code == 400 and "is required for an emergency notice" in bad.content.decode()
    good = client.post(url("new", board), {"title": "停水", "body": "周六停水", "kind": "emergency",
                                            "category": "water_cut", "target": "buildings",
                                            "buildings": [board.b1.pk]})
    notice = Notice.objects.get()
    assert good.status_code == 302 and good["Location"] == url("console_detail", board, notice.pk)
    # edit, attach, schedule
    edit = client.post(url("console_detail", board, notice.pk), {
        "action": "save", "title": "停水（周日）", "body": "周日停水", "kind": "emergency", "category": "water_cut",
        "target": "units", "units": [board.u12.pk]})
    assert edit.status_code == 302
    attach = client.post(url("console_detail", board, notice.pk),
                         {"action": "attach", "file": SimpleUploadedFile("a.pdf", PDF_BYTES)})
    assert attach.status_code == 302
    fake = client.post(url("console_detail", board, notice.pk),
                       {"action": "attach", "file": SimpleUploadedFile("a.pdf", b"not a pdf")})
    assert fake.status_code == 400 and "not an attachment we accept" in fake.content.decode()
    at = timezone.localtime() + datetime.timedelta(days=1)
    scheduled = client.post(url("console_detail", board, notice.pk),
                            {"action": "publish", "publish_at": at.strftime("%Y-%m-%dT%H:%M")})
    assert scheduled.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "scheduled" and notice.title == "停水（周日）" and notice.attachments.count() == 1
    assert client.get(url("console", board), {"state": "scheduled"}).content.decode().count("停水（周日）") == 1


def test_publishing_correcting_withdrawing_and_receipts_from_the_console(board):
    client = client_for(board.manager)
    notice = services.notice_create(actor=board.manager, title="消防检查", body="请配合", important=True)
    assert client.post(url("console_detail", board, notice.pk), {"action": "publish"}).status_code == 302
    # editing it now is refused with 409
    refused = client.post(url("console_detail", board, notice.pk), {"action": "save", "title": "x", "body": "y",
                                                                    "kind": "routine", "target": "estate"})
    assert refused.status_code == 409
    client_for(board.resident).get(url("detail", board, notice.pk))
    receipts = client.get(url("receipts", board, notice.pk))
    page = receipts.content.decode()
    assert receipts.status_code == 200 and 'id="receipts-read">1<' in page and 'id="receipts-unread">2<' in page
    reminded = client.post(url("receipts", board, notice.pk))
    assert reminded.status_code == 200 and "the next one can go out at" in reminded.content.decode()
    assert client.post(url("receipts", board, notice.pk)).status_code == 409
    correction = client.post(url("console_detail", board, notice.pk), {"action": "supersede"})
    fix = Notice.objects.get(supersedes=notice)
    assert correction["Location"] == url("console_detail", board, fix.pk)
    withdrawn = client.post(url("console_detail", board, notice.pk), {"action": "withdraw", "reason": ""})
    assert withdrawn.status_code == 400
    client.post(url("console_detail", board, notice.pk), {"action": "withdraw", "reason": "改期"})
    notice.refresh_from_db()
    assert notice.status == "withdrawn"
    assert "改期" in client.get(url("console_detail", board, notice.pk)).content.decode()


def test_the_liaison_sees_the_console_and_receipts_but_cannot_write(board):
    notice = publish(board)
    client = client_for(board.liaison)
    assert client.get(url("console", board)).status_code == 200
    assert client.get(url("receipts", board, notice.pk)).status_code == 200
    assert client.get(url("new", board)).status_code == 403
    assert client.post(url("console_detail", board, notice.pk), {"action": "withdraw", "reason": "x"}
                       ).status_code == 403
    assert client.post(url("receipts", board, notice.pk)).status_code == 403


def test_the_pinned_fragment_for_the_portal_home_shows_current_emergencies_only(board, monkeypatch):
    publish(board)
    publish(board, title="绿化修剪", kind="routine", category="", target="estate")
    ends = timezone.now() + datetime.timedelta(hours=1)
    publish(board, title="昨天的停电", category="power_cut", expires_at=ends)
    monkeypatch.setattr(timezone, "now", lambda: ends)
    fragment = client_for(board.resident).get(url("pinned", board)).content.decode()
    assert "电梯停运" in fragment and "绿化修剪" not in fragment and "昨天的停电" not in fragment
    assert client_for(board.far).get(url("pinned", board)).content.decode().strip() == ""
