import pytest


@pytest.fixture
def manager(actor_for, estate):
    return actor_for("manager", estate)
