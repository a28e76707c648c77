"""Memberships: a manager grants and ends roles in their estate; nobody else may."""

import pytest

from gongzhi.accounts.models import Membership, User
from gongzhi.core.models import AuditEntry
from gongzhi.core.tests.assertions import assert_error, nothing_written


def url(estate, membership_id=None) -> str:
    base = f"/api/v1/estates/{estate.pk}/memberships"
    return f"{base}/{membership_id}" if membership_id else base


def grant(client, estate, **payload):
    return client.post(url(estate), payload, content_type="application/json")


@pytest.fixture
def manager_client(estate, member, api):
    return api(member("manager", estate), [estate])


def test_manager_grants_a_role_to_an_existing_user(estate, user_factory, manager_client):
    user = user_factory()

    response = grant(manager_client, estate, phone=user.phone, role="technician")

    assert response.status_code == 201
    body = response.json()
    assert (body["user_id"], body["role"], body["ended_at"]) == (user.pk, "technician", None)
    membership = Membership.objects.get(pk=body["id"])
    assert (membership.estate_id, membership.user_id) == (estate.pk, user.pk)
    entry = AuditEntry.objects.get(action="membership.grant", object_id=str(membership.pk))
    assert entry.estate_id == estate.pk
    assert entry.after == {"user_id": user.pk, "role": "technician"}


def test_granting_to_a_new_number_creates_an_account_without_a_password(estate, manager_client):
    response = grant(manager_client, estate, phone="139 0000 9999", role="guard", name="李保安")

    assert response.status_code == 201
    user = User.objects.get(phone="13900009999")
    assert user.name == "李保安"
    assert not user.has_usable_password(), "no default or guessable password"


def test_a_second_role_is_allowed_but_not_the_same_one_twice(estate, user_factory, manager_client):
    user = user_factory()
    assert grant(manager_client, estate, phone=user.phone, role="guard").status_code == 201
    assert grant(manager_client, estate, phone=user.phone, role="cleaner").status_code == 201
    with nothing_written():
        assert_error(grant(manager_client, estate, phone=user.phone, role="guard"), 409, "membership_exists")


def test_unknown_role_and_bad_number_are_400_and_write_nothing(estate, user_factory, manager_client):
    user = user_factory()
    with nothing_written():
        assert_error(grant(manager_client, estate, phone=user.phone, role="king"), 400, "unknown_role")
        assert_error(grant(manager_client, estate, phone="12345", role="guard"), 400, "invalid_mobile")
        # A new number with an unknown role: the account it would create is not kept either.
        assert_error(grant(manager_client, estate, phone="13900008888", role="king"), 400, "unknown_role")


@pytest.mark.parametrize("role", ["customer_service", "technician", "committee_chair", "owner"])
def test_only_a_manager_may_grant(estate, member, api, user_factory, role):
    client = api(member(role, estate), [estate])
    user = user_factory()
    with nothing_written():
        assert_error(grant(client, estate, phone=user.phone, role="manager"), 403, "forbidden")
        assert_error(grant(client, estate, phone="13900007777", role="guard"), 403, "forbidden")


def test_manager_ends_a_membership_and_the_row_stays(estate, member, manager_client):
    guard = member("guard", estate)
    membership = guard.memberships.get()

    response = manager_client.delete(url(estate, membership.pk))

    assert response.status_code == 200
    assert response.json()["ended_at"] is not None
    membership.refresh_from_db()
    assert membership.ended_at is not None
    entry = AuditEntry.objects.get(action="membership.revoke", object_id=str(membership.pk))
    assert entry.before["ended_at"] is None and entry.after["ended_at"] is not None
    # The former guard is no longer a member.
    assert membership.pk not in {m["id"] for m in manager_client.get(url(estate)).json()}
    ended = manager_client.get(url(estate) + "?include_ended=true").json()
    assert membership.pk in {m["id"] for m in ended}


def test_ending_twice_changes_nothing(estate, member, manager_client):
    membership = member("guard", estate).memberships.get()
    first = manager_client.delete(url(estate, membership.pk)).json()["ended_at"]
    with nothing_written():
        assert manager_client.delete(url(estate, membership.pk)).json()["ended_at"] == first


def test_only_a_manager_may_end_a_membership(estate, member, api):
    membership = member("guard", estate).memberships.get()
    client = api(member("customer_service", estate), [estate])
    with nothing_written():
        assert_error(client.delete(url(estate, membership.pk)), 403, "forbidden")


def test_a_membership_of_another_estate_is_not_found(estate, other_estate, member, manager_client):
    elsewhere = member("guard", other_estate).memberships.get()
    with nothing_written():
        assert_error(manager_client.delete(url(estate, elsewhere.pk)), 404, "not_found")


def test_staff_list_members_with_numbers_masked_for_roles_that_do_not_need_them(estate, member, api):
    guard = member("guard", estate)
    technician = member("technician", estate)

    full = api(member("manager", estate), [estate]).get(url(estate)).json()
    masked = api(technician, [estate]).get(url(estate)).json()

    assert {m["phone"] for m in full if m["user_id"] == guard.pk} == {guard.phone}
    assert {m["phone"] for m in masked if m["user_id"] == guard.pk} == {f"{guard.phone[:3]}****{guard.phone[-4:]}"}


def test_residents_may_not_list_members(estate, member, api):
    assert_error(api(member("owner", estate), [estate]).get(url(estate)), 403, "forbidden")
