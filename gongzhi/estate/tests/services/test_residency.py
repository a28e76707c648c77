"""residency_add / residency_end / house_change_owner: the history of who lived where is kept and consistent."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.estate.models import Residency
from gongzhi.estate.services import house_change_owner, residency_add, residency_end
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory

D = datetime.date


@pytest.fixture
def house(estate):
    return HouseFactory(estate=estate, unit__estate=estate, unit__building__estate=estate)


@pytest.fixture
def people(estate):
    return PersonFactory.create_batch(3, estate=estate)


def test_moving_in_starts_today_by_default(manager, house, people):
    residency = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="family")
    assert residency.start_date == timezone.localdate()
    assert Residency.objects.current().filter(pk=residency.pk).exists()


def test_a_person_can_move_back_in_after_moving_out(manager, house, people):
    first = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="tenant",
                          start_date=D(2020, 1, 1))
    residency_end(actor=manager, residency_id=first.pk, end_date=D(2021, 1, 1))
    again = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="tenant",
                          start_date=D(2023, 1, 1))
    assert Residency.objects.filter(house=house, person=people[0]).count() == 2
    assert list(Residency.objects.current().filter(house=house).values_list("pk", flat=True)) == [again.pk]


def test_an_ended_residency_is_no_longer_current(manager, house, people):
    residency = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="tenant",
                              start_date=D(2020, 1, 1))
    residency_end(actor=manager, residency_id=residency.pk, end_date=D(2021, 1, 1))
    assert not Residency.objects.current().filter(pk=residency.pk).exists()
    assert Residency.objects.current(on=D(2020, 6, 1)).filter(pk=residency.pk).exists()


def test_ending_the_representative_leaves_the_house_without_one(manager, house, people):
    owner = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="owner",
                          is_representative=True, start_date=D(2020, 1, 1))
    residency_end(actor=manager, residency_id=owner.pk, end_date=D(2024, 1, 1))
    owner.refresh_from_db()
    assert not owner.is_representative
    entry = AuditEntry.objects.get(action="residency.end")
    assert entry.before == {"end_date": None, "is_representative": True}
    assert entry.after == {"end_date": "2024-01-01", "is_representative": False}


def test_shares_are_counted_among_current_owners_only(manager, house, people):
    old = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="co_owner",
                        share=Decimal("0.6"), start_date=D(2020, 1, 1))
    residency_end(actor=manager, residency_id=old.pk, end_date=D(2022, 1, 1))
    residency_add(actor=manager, house_id=house.pk, person_id=people[1].pk, kind="co_owner", share=Decimal("0.6"))
    with pytest.raises(DomainError) as refused:
        residency_add(actor=manager, house_id=house.pk, person_id=people[2].pk, kind="co_owner",
                      share=Decimal("0.5"))
    assert refused.value.code == "shares_exceed"
    assert Residency.objects.filter(person=people[2]).count() == 0


def test_the_same_registration_twice_is_a_conflict(manager, house, people):
    residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="family")
    with pytest.raises(Conflict):
        residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="family")


def test_another_estates_residency_is_not_found(manager, actor_for, other_estate, house, people):
    residency = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="family")
    with pytest.raises(NotFound):
        residency_end(actor=actor_for("manager", other_estate), residency_id=residency.pk)


def test_a_sale_is_all_or_nothing(manager, house, people, other_estate):
    seller = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="owner",
                           is_representative=True, start_date=D(2015, 1, 1))
    foreigner = PersonFactory(estate=other_estate)
    count = AuditEntry.objects.count()

    with pytest.raises(NotFound):
        house_change_owner(actor=manager, house_id=house.pk, new_owner_ids=[people[1].pk, foreigner.pk])

    seller.refresh_from_db()
    assert (seller.end_date, seller.is_representative) == (None, True)
    assert Residency.objects.filter(house=house).count() == 1
    assert AuditEntry.objects.count() == count


def test_a_sale_on_the_day_the_seller_moved_in_keeps_the_dates_ordered(manager, house, people):
    seller = residency_add(actor=manager, house_id=house.pk, person_id=people[0].pk, kind="owner",
                           start_date=D(2025, 7, 1))
    house_change_owner(actor=manager, house_id=house.pk, new_owner_ids=[people[1].pk], on=D(2025, 7, 1))
    seller.refresh_from_db()
    assert seller.end_date == D(2025, 7, 1)


def test_a_buyer_named_twice_is_registered_once(manager, house, people):
    created = house_change_owner(actor=manager, house_id=house.pk, new_owner_ids=[people[1].pk, people[1].pk])
    assert [(r.person_id, r.kind, r.is_representative) for r in created] == [(people[1].pk, "owner", True)]
