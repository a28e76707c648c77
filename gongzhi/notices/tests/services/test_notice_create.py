"""Stories of writing, changing and deleting drafts."""

import pytest

from gongzhi.core.audit import AuditEntry
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.notices import services
from gongzhi.notices.models import Notice

pytestmark = pytest.mark.django_db


def draft(board, **kwargs):
    fields = {"title": "1号楼停水", "body": "明天停水。\n请储水。", "kind": "emergency", "category": "water_cut",
              "target": "buildings", "building_ids": [board.b1.pk]}
    fields.update(kwargs)
    return services.notice_create(actor=board.customer_service, **fields)


def test_customer_service_writes_a_draft_to_one_building_and_it_is_audited(board):
    notice = draft(board)
    assert notice.status == "draft"
    assert list(notice.buildings.all()) == [board.b1]
    entry = AuditEntry.objects.get(action="notice.create")
    assert entry.object_id == str(notice.pk) and entry.after["building_ids"] == [board.b1.pk]


@pytest.mark.parametrize("role", ["resident", "technician", "liaison"])
def test_only_the_office_writes_notices(board, role):
    with pytest.raises(Forbidden):
        services.notice_create(actor=getattr(board, role), title="t", body="b")


@pytest.mark.parametrize("changes, field", [
    ({"title": "  "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"body": ""}, "body"),
    ({"category": ""}, "category"),  # an emergency needs a category
    ({"target": "buildings", "building_ids": []}, "building_ids"),
    ({"target": "units", "unit_ids": []}, "unit_ids"),
])
def test_a_draft_with_bad_content_is_refused_naming_the_field(board, changes, field):
    with pytest.raises(DomainError) as caught:
        draft(board, **changes)
    assert caught.value.code == "invalid_field" and caught.value.detail == {"field": field}


def test_another_estates_building_cannot_be_targeted(board, other_estate):
    from gongzhi.estate.tests.factories import BuildingFactory

    foreign = BuildingFactory(estate=other_estate)
    with pytest.raises(DomainError) as caught:
        draft(board, building_ids=[board.b1.pk, foreign.pk])
    assert caught.value.detail == {"field": "building_ids"}


def test_a_draft_is_edited_and_a_published_one_answers_409(board):
    notice = draft(board)
    services.notice_update(actor=board.manager, notice_id=notice.pk, title="1号楼停水（更正时间）", body="后天停水",
                           kind="emergency", category="water_cut", target="units", unit_ids=[board.u11.pk])
    notice.refresh_from_db()
    assert notice.title == "1号楼停水（更正时间）" and list(notice.units.all()) == [board.u11]
    assert list(notice.buildings.all()) == []
    services.notice_publish(actor=board.manager, notice_id=notice.pk)
    with pytest.raises(Conflict) as caught:
        services.notice_update(actor=board.manager, notice_id=notice.pk, title="改", body="改")
    assert caught.value.code == "notice_published" and caught.value.status == 409
    with pytest.raises(Conflict):
        services.notice_delete(actor=board.manager, notice_id=notice.pk)


def test_a_draft_is_deleted_but_not_by_a_resident_who_cannot_even_see_it(board):
    notice = draft(board)
    with pytest.raises(NotFound):
        services.notice_delete(actor=board.resident, notice_id=notice.pk)
    services.notice_delete(actor=board.customer_service, notice_id=notice.pk)
    assert not Notice.objects.filter(pk=notice.pk).exists()
    assert AuditEntry.objects.filter(action="notice.delete", object_id=str(notice.pk)).exists()


def test_the_demo_seeds_one_of_each_state_once(board):
    from gongzhi.notices.demo import seed_notices

    made = seed_notices(actor=board.manager)
    states = {n.pk: Notice.objects.get(pk=n.pk).state() for n in made}
    assert set(states.values()) == {"current", "scheduled", "draft", "superseded", "withdrawn"}
    assert set(Notice.objects.filter(status="withdrawn").values_list("title", flat=True)) == {"停车场划线施工通知"}
    assert Notice.objects.get(title="停水通知", supersedes__isnull=True).state() == "superseded"
    assert seed_notices(actor=board.manager) == []
