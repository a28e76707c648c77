"""The notices API as its clients use it: the office writes and publishes, residents read, isolation holds, and
the lists keep a constant query count."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.notices import services
from gongzhi.notices.models import NoticeHouse
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db
JSON = "application/json"


def base(board):
    return f"/api/v1/estates/{board.estate.pk}/notices"


@pytest.fixture
def office(board, api):
    return api(board.manager.user, [board.estate])


def publish(board, **kwargs):
    fields = {"title": "1号楼停电", "body": "线路检修", "kind": "emergency", "category": "power_cut",
              "target": "buildings", "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    notice = services.notice_create(actor=board.manager, **fields)
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    return notice


def test_the_office_drafts_attaches_publishes_and_cannot_edit_afterwards(board, office):
    payload = {"title": "停水通知", "body": "周六 9:00–17:00 停水\n<script>x</script>", "kind": "emergency",
               "category": "water_cut", "target": "units", "unit_ids": [board.u11.pk]}
    created = office.post(base(board), payload, content_type=JSON)
    assert created.status_code == 201, created.json()
    notice = created.json()
    assert notice["status"] == "draft" and notice["editable"] is True and notice["unit_ids"] == [board.u11.pk]
    url = f"{base(board)}/{notice['id']}"
    upload = office.post(f"{url}/attachments", {"file": SimpleUploadedFile("安排.pdf", PDF_BYTES)})
    assert upload.status_code == 201 and upload.json()["filename"] == "安排.pdf"
    published = office.post(f"{url}/publish", {}, content_type=JSON)
    assert published.status_code == 200 and published.json()["state"] == "current"
    assert published.json()["audience_houses"] == 1 and published.json()["pinned"] is True
    edit = office.put(url, payload, content_type=JSON)
    assert edit.status_code == 409 and edit.json()["code"] == "notice_published"
    assert office.delete(url).status_code == 409


def test_scheduling_in_the_future(board, office):
    draft = office.post(base(board), {"title": "t", "body": "b"}, content_type=JSON).json()
    at = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = office.post(f"{base(board)}/{draft['id']}/publish", {"publish_at": at}, content_type=JSON)
    assert response.status_code == 200 and response.json()["state"] == "scheduled"


def test_a_resident_reads_a_notice_of_their_building_and_the_house_is_marked_read(board, api):
    notice = publish(board)
    client = api(board.resident.user, [board.estate])
    listed = client.get(base(board)).json()["items"]
    assert [(n["id"], n["read"]) for n in listed] == [(notice.pk, False)]
    detail = client.get(f"{base(board)}/{notice.pk}")
    assert detail.status_code == 200 and detail.json()["read"] is True
    assert NoticeHouse.objects.get(notice=notice, house=board.home).read_by == board.resident.user
    # the receipts are not the resident's business
    assert client.get(f"{base(board)}/{notice.pk}/receipts").status_code == 403


def test_a_resident_of_building_2_gets_404_for_a_building_1_notice(board, api):
    notice = publish(board)
    client = api(board.far.user, [board.estate])
    assert client.get(base(board)).json()["items"] == []
    response = client.get(f"{base(board)}/{notice.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_another_estate_gets_404_everywhere(board, api, other_estate, member):
    notice = publish(board)
    outsider = member("manager", other_estate)
    client = api(outsider, [other_estate])
    assert client.get(f"{base(board)}/{notice.pk}").status_code == 404
    # and with its own estate in the path and our notice's id
    theirs = f"/api/v1/estates/{other_estate.pk}/notices/{notice.pk}"
    assert client.get(theirs).status_code == 404
    assert client.post(f"{theirs}/withdraw", {"reason": "x"}, content_type=JSON).status_code == 404
    assert client.get(f"{theirs}/receipts").status_code == 404


def test_supersede_withdraw_receipts_and_remind(board, office, api):
    notice = publish(board, important=True)
    api(board.family.user, [board.estate]).get(f"{base(board)}/{notice.pk}")
    receipts = office.get(f"{base(board)}/{notice.pk}/receipts").json()
    assert (receipts["total"], receipts["read"], receipts["unread"]) == (2, 1, 1)
    unread = office.get(f"{base(board)}/{notice.pk}/receipts/unread").json()["items"]
    assert [u["house"] for u in unread] == [board.neighbour_home.code]
    first = office.post(f"{base(board)}/{notice.pk}/remind")
    assert first.status_code == 200 and first.json()["reminded"] == 1
    again = office.post(f"{base(board)}/{notice.pk}/remind")
    assert again.status_code == 409 and again.json()["code"] == "remind_too_soon"
    assert again.json()["detail"]["next_allowed_at"]
    correction = office.post(f"{base(board)}/{notice.pk}/supersede", {"body": "改为明天"}, content_type=JSON)
    assert correction.status_code == 201 and correction.json()["supersedes_id"] == notice.pk
    withdrawn = office.post(f"{base(board)}/{notice.pk}/withdraw", {"reason": "已恢复供电"}, content_type=JSON)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"


def test_attachment_download_is_access_checked(board, office, api):
    draft = services.notice_create(actor=board.manager, title="t", body="b", target="buildings",
                                   building_ids=[board.b1.pk])
    from gongzhi.notices.attachments import notice_attachment_add

    attachment = notice_attachment_add(actor=board.manager, notice_id=draft.pk,
                                       upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    url = f"{base(board)}/{draft.pk}/attachments/{attachment.pk}"
    resident = api(board.resident.user, [board.estate])
    assert resident.get(url).status_code == 404  # still a draft
    services.notice_publish(actor=board.manager, notice_id=draft.pk)
    response = resident.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    assert api(board.far.user, [board.estate]).get(url).status_code == 404


# --- query budgets -----------------------------------------------------------------------------------------------
def _grow(board, k):
    for n in range(k):
        notice = publish(board, title=f"通知{n}", target="units" if n % 2 else "buildings",
                         unit_ids=[board.u11.pk], kind="routine" if n % 3 else "emergency")
        services.notice_mark_read(actor=board.resident, notice=notice)


@pytest.mark.parametrize("who", ["manager", "resident"])
def test_the_list_costs_the_same_for_3_and_30_notices(board, api, who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(getattr(board, who).user, [board.estate])
    client.get(base(board))  # the access cache is warm for both measurements
    counts = []
    for k in (3, 27):
        _grow(board, k)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(base(board), {"limit": 200})
        assert response.status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    assert counts[1] <= 5  # token, notices, their buildings, their units (membership cached)


def test_the_unread_houses_list_has_a_budget(board, office, django_assert_max_num_queries):
    notice = publish(board)
    with django_assert_max_num_queries(6):  # token, membership, notice (+2 prefetches), unread houses
        response = office.get(f"{base(board)}/{notice.pk}/receipts/unread")
    assert response.status_code == 200 and len(response.json()["items"]) == 2
