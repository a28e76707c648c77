"""membership_grant / membership_revoke / token_create / token_revoke at the service level."""

import pytest
from django.utils import timezone

from gongzhi.accounts.models import ApiToken, Membership
from gongzhi.accounts.services import membership_grant, membership_revoke, token_create, token_revoke
from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound


@pytest.fixture
def manager(estate, member):
    return resolve_actor(member("manager", estate), estate.pk)


def test_a_revoked_role_can_be_granted_again_and_both_rows_stay(manager, user_factory):
    user = user_factory()
    first = membership_grant(actor=manager, user=user, role="guard")
    membership_revoke(actor=manager, membership_id=first.pk)
    second = membership_grant(actor=manager, user=user, role="guard")
    assert second.pk != first.pk
    assert Membership.objects.filter(user=user, role="guard").count() == 2


def test_a_role_held_is_a_conflict(manager, user_factory):
    user = user_factory()
    membership_grant(actor=manager, user=user, role="guard")
    with pytest.raises(Conflict):
        membership_grant(actor=manager, user=user, role="guard")


def test_a_manager_cannot_revoke_in_another_estate(manager, other_estate, member):
    elsewhere = member("guard", other_estate).memberships.get()
    with pytest.raises(NotFound):
        membership_revoke(actor=manager, membership_id=elsewhere.pk)


@pytest.mark.parametrize("role", ["customer_service", "committee_chair", "owner"])
def test_non_managers_cannot_grant_or_revoke(estate, member, user_factory, role):
    actor = resolve_actor(member(role, estate), estate.pk)
    target = member("guard", estate).memberships.get()
    with pytest.raises(Forbidden):
        membership_grant(actor=actor, user=user_factory(), role="guard")
    with pytest.raises(Forbidden):
        membership_revoke(actor=actor, membership_id=target.pk)


def test_a_token_is_scoped_to_current_memberships(estate, member):
    user = member("guard", estate)
    user.memberships.update(ended_at=timezone.now())
    with pytest.raises(DomainError) as refused:
        token_create(user=user, name="x", estate_ids=[estate.pk])
    assert refused.value.code == "invalid_token_scope"


def test_a_token_expires_within_the_limit(estate, member, settings):
    user = member("guard", estate)
    token, raw = token_create(user=user, name="x", estate_ids=[estate.pk, estate.pk], days=7)
    assert token.estate_ids == [estate.pk]
    assert 6 <= (token.expires_at - timezone.now()).days <= 7
    assert raw.startswith("gz_") and token.prefix == raw[3:11]


def test_a_platform_admin_may_revoke_anyones_token(estate, member, user_factory):
    token, _raw = token_create(user=member("guard", estate), name="x", estate_ids=[estate.pk])
    admin = user_factory(is_superuser=True, is_staff=True)
    with pytest.raises(NotFound):
        token_revoke(user=user_factory(), token_id=token.pk)
    assert token_revoke(user=admin, token_id=token.pk).revoked_at is not None
    assert not ApiToken.objects.get(pk=token.pk).is_usable
