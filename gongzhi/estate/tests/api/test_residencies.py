"""Who lives where, over time: moving in and out and changes of owner keep the history; nothing is deleted."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error, nothing_written
from gongzhi.estate.models import Residency
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory


@pytest.fixture
def house(estate):
    return HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate)


@pytest.fixture
def person(estate):
    return PersonFactory(estate=estate)


def add(post, house, person, **extra):
    return post("/residencies", {"house_id": house.pk, "person_id": person.pk, **extra})


def test_a_tenant_moves_in_and_out_and_stays_in_the_history(post, base, client, house, person):
    response = add(post, house, person, kind="tenant", start_date="2024-03-01")
    assert response.status_code == 201
    residency = response.json()
    assert (residency["kind"], residency["start_date"], residency["end_date"], residency["current"]) == (
        "tenant", "2024-03-01", None, True)

    ended = post(f"/residencies/{residency['id']}/end", {"end_date": "2025-02-28"})

    assert ended.status_code == 200
    assert (ended.json()["end_date"], ended.json()["current"]) == ("2025-02-28", False)
    shown = client.get(base + f"/houses/{house.pk}").json()["residencies"]
    assert [(r["id"], r["end_date"]) for r in shown] == [(residency["id"], "2025-02-28")]
    assert Residency.objects.filter(pk=residency["id"]).exists()
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(residency["id"]),
                                                       object_type="estate.residency").order_by("id")] == [
        "residency.add", "residency.end"]


def test_ending_twice_changes_nothing(post, house, person):
    residency = add(post, house, person, kind="family").json()
    first = post(f"/residencies/{residency['id']}/end", {}).json()
    with nothing_written():
        again = post(f"/residencies/{residency['id']}/end", {"end_date": "2030-01-01"})
    assert again.status_code == 200
    assert again.json()["end_date"] == first["end_date"] == timezone.localdate().isoformat()


def test_an_end_before_the_start_is_refused(post, house, person):
    residency = add(post, house, person, kind="tenant", start_date="2024-03-01").json()
    with nothing_written():
        assert_error(post(f"/residencies/{residency['id']}/end", {"end_date": "2024-02-01"}), 400, "invalid_field")


def test_the_same_person_cannot_be_registered_twice_the_same_way(post, house, person):
    add(post, house, person, kind="family")
    with nothing_written():
        assert_error(add(post, house, person, kind="family"), 409, "residency_exists")


@pytest.mark.parametrize(("extra", "field"), [
    ({"kind": "landlord"}, "kind"),
    ({"kind": "tenant", "share": "0.5"}, "share"),
    ({"kind": "family", "is_representative": True}, "is_representative"),
])
def test_bad_residency_is_400(post, house, person, extra, field):
    with nothing_written():
        body = assert_error(add(post, house, person, **extra), 400, "invalid_field")
    assert body["detail"] == {"field": field}


def test_a_house_or_person_of_another_estate_is_not_found(post, house, person, other_estate):
    foreign_house = HouseFactory(estate=other_estate, unit__building__estate=other_estate,
                                 unit__estate=other_estate)
    foreign_person = PersonFactory(estate=other_estate)
    with nothing_written():
        assert_error(add(post, foreign_house, person, kind="owner"), 404, "not_found")
        assert_error(add(post, house, foreign_person, kind="owner"), 404, "not_found")


def test_co_owners_shares_cannot_exceed_the_whole(post, estate, house):
    first, second, third = PersonFactory.create_batch(3, estate=estate)
    assert add(post, house, first, kind="co_owner", share="0.5", is_representative=True).status_code == 201
    assert add(post, house, second, kind="co_owner", share="0.5").status_code == 201
    with nothing_written():
        body = assert_error(add(post, house, third, kind="co_owner", share="0.01"), 400, "shares_exceed")
    assert "100" in body["messages"]["en"]


@pytest.mark.parametrize("share", ["1.5", "0", "-0.5", "0.33333"])
def test_a_share_must_be_a_fraction(post, house, person, share):
    with nothing_written():
        body = assert_error(add(post, house, person, kind="co_owner", share=share), 400, "invalid_field")
    assert body["detail"] == {"field": "share"}


def test_a_house_has_one_voting_representative(post, estate, house):
    first, second = PersonFactory.create_batch(2, estate=estate)
    a = add(post, house, first, kind="co_owner", share="0.5", is_representative=True).json()
    b = add(post, house, second, kind="co_owner", share="0.5", is_representative=True).json()

    current = Residency.objects.filter(house=house, end_date__isnull=True)
    assert list(current.filter(is_representative=True).values_list("pk", flat=True)) == [b["id"]]
    assert not Residency.objects.get(pk=a["id"]).is_representative
    entry = AuditEntry.objects.get(action="residency.update", object_id=str(a["id"]))
    assert (entry.before, entry.after) == ({"is_representative": True}, {"is_representative": False})


def test_a_change_of_owner_keeps_the_previous_owner_with_an_end_date(post, base, client, estate, house):
    seller = PersonFactory(estate=estate, name="卖家")
    tenant = PersonFactory(estate=estate, name="租客")
    old = ResidencyFactory(house=house, person=seller, kind="owner", start_date=datetime.date(2015, 6, 1))
    ResidencyFactory(house=house, person=tenant, kind="tenant", is_representative=False,
                     start_date=datetime.date(2020, 1, 1))
    buyer, spouse = PersonFactory(estate=estate, name="买家"), PersonFactory(estate=estate, name="配偶")

    response = post(f"/houses/{house.pk}/owner-change", {"new_owner_ids": [buyer.pk, spouse.pk],
                                                         "on": "2025-07-01"})

    assert response.status_code == 200
    rows = {r["person"]["name"]: r for r in response.json()["residencies"]}
    assert (rows["卖家"]["end_date"], rows["卖家"]["is_representative"]) == ("2025-06-30", False)
    assert (rows["买家"]["kind"], rows["买家"]["start_date"], rows["买家"]["is_representative"]) == (
        "co_owner", "2025-07-01", True)
    assert (rows["配偶"]["kind"], rows["配偶"]["is_representative"]) == ("co_owner", False)
    assert rows["租客"]["end_date"] is None, "a tenant's lease is not ended by a sale"
    old.refresh_from_db()
    assert old.end_date == datetime.date(2025, 6, 30)
    assert AuditEntry.objects.filter(action="residency.end", object_id=str(old.pk)).exists()


def test_a_sale_of_a_developer_held_house_clears_the_flag(post, estate):
    house = HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate, developer_held=True,
                         status="unsold")
    buyer = PersonFactory(estate=estate)
    body = post(f"/houses/{house.pk}/owner-change", {"new_owner_ids": [buyer.pk]}).json()
    assert body["developer_held"] is False
    assert [(r["kind"], r["is_representative"]) for r in body["residencies"]] == [("owner", True)]


def test_a_change_of_owner_to_someone_of_another_estate_writes_nothing(post, estate, other_estate, house):
    ResidencyFactory(house=house, person=PersonFactory(estate=estate), kind="owner")
    foreign = PersonFactory(estate=other_estate)
    with nothing_written():
        assert_error(post(f"/houses/{house.pk}/owner-change", {"new_owner_ids": [foreign.pk]}), 404, "not_found")


def test_a_change_of_owner_needs_an_owner(post, house):
    with nothing_written():
        assert_error(post(f"/houses/{house.pk}/owner-change", {"new_owner_ids": []}), 400, "invalid_field")
