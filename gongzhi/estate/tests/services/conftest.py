import pytest

from gongzhi.core.access import resolve_actor


@pytest.fixture
def actor_for(member):
    """actor_for(role, estate) → the Actor of a new member holding that role there."""

    def make(role, estate):
        return resolve_actor(member(role, estate), estate.pk)

    return make


@pytest.fixture
def manager(actor_for, estate):
    return actor_for("manager", estate)
