"""person_create / person_update: identifiers validated and normalised; the login linked by mobile number."""

import pytest

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.estate.services import person_create, person_update
from gongzhi.estate.tests.factories import make_id_number


def test_a_person_is_registered_with_normalised_identifiers(manager, estate):
    person = person_create(actor=manager, name="张　伟", mobile="１３８-1234-1234",
                           id_number=make_id_number(7).lower())
    assert (person.name, person.mobile, person.id_number, person.estate) == (
        "张 伟", "13812341234", make_id_number(7), estate)


def test_a_person_without_identifiers_is_allowed(manager):
    person = person_create(actor=manager, name="王奶奶")
    assert (person.mobile, person.id_type, person.id_number) == ("", "", "")


def test_several_people_without_an_id_number_do_not_clash(manager):
    person_create(actor=manager, name="甲")
    person_create(actor=manager, name="乙")


def test_the_login_with_the_same_number_is_linked(manager, user_factory):
    user = user_factory(phone="13812341234")
    assert person_create(actor=manager, name="张伟", mobile="13812341234").user == user


def test_a_duplicate_id_number_is_a_conflict_and_writes_nothing(manager):
    person_create(actor=manager, name="张伟", id_number=make_id_number(7))
    count = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        person_create(actor=manager, name="张伟", id_number=make_id_number(7))
    assert AuditEntry.objects.count() == count


def test_a_bad_mobile_names_the_field(manager):
    with pytest.raises(DomainError) as refused:
        person_create(actor=manager, name="张伟", mobile="12345")
    assert refused.value.detail == {"field": "mobile"}
    assert "mobile" in refused.value.text("en")


def test_a_guard_may_not_register_people(actor_for, estate):
    with pytest.raises(Forbidden):
        person_create(actor=actor_for("guard", estate), name="张伟")


def test_update_is_audited_with_before_and_after(manager):
    person = person_create(actor=manager, name="张伟")
    person_update(actor=manager, person_id=person.pk, name="张卫", mobile="13900000001")
    entry = AuditEntry.objects.get(action="person.update")
    assert (entry.before["name"], entry.after["name"]) == ("张伟", "张卫")
    assert (entry.before["mobile"], entry.after["mobile"]) == ("", "13900000001")


def test_update_in_another_estate_is_not_found(manager, actor_for, other_estate):
    person = person_create(actor=manager, name="张伟")
    with pytest.raises(NotFound):
        person_update(actor=actor_for("manager", other_estate), person_id=person.pk, name="x")
