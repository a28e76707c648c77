"""Persons through the API: mobile and ID numbers validated (GB 11643), duplicates refused, personal data masked
for roles that do not need it."""

import pytest

from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error, nothing_written
from gongzhi.estate.models import Person
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, make_id_number

ID = make_id_number(123)


def test_manager_registers_a_person_with_normalised_numbers(post, estate):
    response = post("/persons", {"name": " 张  伟 ", "mobile": "+86 138-1234-1234", "id_number": ID.lower()})

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["mobile"], body["id_number"]) == ("张 伟", "13812341234", ID)
    person = Person.objects.get(pk=body["id"])
    assert (person.estate_id, person.id_type) == (estate.pk, "resident_id")
    entry = AuditEntry.objects.get(action="person.create", object_id=str(person.pk))
    assert entry.after["id_number"] == ID


def test_a_person_with_a_login_is_linked_to_it(post, user_factory):
    user = user_factory(phone="13812341234")
    body = post("/persons", {"name": "张伟", "mobile": "13812341234"}).json()
    assert body["has_login"] is True
    assert Person.objects.get(pk=body["id"]).user == user


@pytest.mark.parametrize(("payload", "field"), [
    ({"mobile": "12812341234"}, "mobile"),
    ({"mobile": "1381234123"}, "mobile"),
    ({"mobile": "010-12345678"}, "mobile"),
    ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, "id_number"),  # wrong check digit
    ({"id_number": "11010519991331002X"}, "id_number"),  # 13th month
    ({"id_number": "1101051949123100"}, "id_number"),  # too short
    ({"id_type": "passport", "id_number": "E1"}, "id_number"),
    ({"id_type": "library_card", "id_number": "E12345678"}, "id_type"),
    ({"name": "   "}, "name"),
])
def test_bad_person_is_400_and_writes_nothing(post, payload, field):
    with nothing_written():
        body = assert_error(post("/persons", {"name": "张伟", **payload}), 400, "invalid_field")
    assert body["detail"] == {"field": field}
    assert body["messages"]["en"].startswith(field)


def test_a_passport_is_accepted(post):
    body = post("/persons", {"name": "John Smith", "id_type": "passport", "id_number": "e 1234 5678"}).json()
    assert (body["id_type"], body["id_number"]) == ("passport", "E12345678")


def test_duplicate_id_number_is_409(post):
    post("/persons", {"name": "张伟", "id_number": ID})
    with nothing_written():
        assert_error(post("/persons", {"name": "张伟伟", "id_number": ID}), 409, "person_exists")


def test_the_same_id_number_may_live_in_another_estate(post, other_estate):
    PersonFactory(estate=other_estate, id_number=ID)
    assert post("/persons", {"name": "张伟", "id_number": ID}).status_code == 201


def test_correcting_to_an_id_number_already_registered_is_409(patch, estate):
    PersonFactory(estate=estate, id_number=ID)
    person = PersonFactory(estate=estate)
    with nothing_written():
        assert_error(patch(f"/persons/{person.pk}", {"id_number": ID}), 409, "person_exists")


def test_correcting_the_mobile_moves_the_login_link(patch, estate, user_factory):
    old_login = user_factory(phone="13812341234")
    new_login = user_factory(phone="13955556666")
    person = PersonFactory(estate=estate, mobile="13812341234", user=old_login)

    response = patch(f"/persons/{person.pk}", {"mobile": "13955556666"})

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.user == new_login, "the holder of the old number no longer sees this household"
    entry = AuditEntry.objects.get(action="person.update", object_id=str(person.pk))
    assert (entry.before["user_id"], entry.after["user_id"]) == (old_login.pk, new_login.pk)


# A real ID number (correct GB 11643 check digit) beginning 110 and ending 1234, as in the masking examples.
OWNER_ID = "110101199003091234"


@pytest.fixture
def household(estate):
    house = HouseFactory(estate=estate, unit__building__estate=estate, unit__estate=estate)
    owner = PersonFactory(estate=estate, name="张伟", mobile="13812341234", id_number=OWNER_ID)
    ResidencyFactory(house=house, person=owner)
    return house, owner


@pytest.mark.parametrize(("role", "mobile", "id_number"), [
    ("technician", "138****1234", "110***********1234"),
    ("guard", "138****1234", "110***********1234"),
    ("customer_service", "13812341234", "110***********1234"),
    ("manager", "13812341234", OWNER_ID),
])
def test_personal_data_is_masked_for_roles_that_do_not_need_it(estate, member, api, base, household, role,
                                                                  mobile, id_number):
    house, owner = household
    client = api(member(role, estate), [estate])

    listed = client.get(base + "/persons").json()["items"]
    detail = client.get(base + f"/persons/{owner.pk}").json()
    in_house = client.get(base + f"/houses/{house.pk}").json()["residencies"][0]["person"]
    found = client.get(base + "/search?q=1234").json()["persons"]

    for shown in (listed[0], detail, in_house, found[0]):
        assert (shown["mobile"], shown["id_number"]) == (mobile, id_number)


def test_residents_see_their_own_numbers_in_full_and_their_household_masked(estate, member, api, base, household):
    house, owner = household
    resident = member("family", estate)
    me = PersonFactory(estate=estate, mobile=resident.phone, user=resident)
    ResidencyFactory(house=house, person=me, kind="family", is_representative=False)

    people = {p["id"]: p for p in api(resident, [estate]).get(base + "/persons").json()["items"]}

    assert set(people) == {owner.pk, me.pk}
    assert people[me.pk]["mobile"] == resident.phone
    assert (people[owner.pk]["mobile"], people[owner.pk]["id_number"]) == ("138****1234", "110***********1234")
