"""Fixtures shared by every app's tests: a world of two estates, members by role, API clients."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.test import Client

from gongzhi.accounts.services import token_create
from gongzhi.accounts.tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from gongzhi.estate.tests.factories import EstateFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(url: str) -> None:
    """Tests that need a real server (Redis, MQTT) skip on a developer's machine without it; under CI a missing
    service is a failure."""
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=2).close()
    except OSError as exc:
        message = f"service {url} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test's flush may empty the append-only tables; their triggers are back right after."""
    from pytest_django.plugin import blocking_manager_key

    from gongzhi.core.tests.append_only import lifted_for_flush

    with lifted_for_flush(item, nextitem, item.config.stash[blocking_manager_key]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_in_process():
    """Background jobs run at once, in memory: no test writes to the real queue (var/huey.sqlite3 or Redis)."""
    from huey.contrib.djhuey import HUEY

    previous, HUEY.immediate = HUEY.immediate, True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def estate(db):
    return EstateFactory(name="明强小区")


@pytest.fixture
def other_estate(db):
    return EstateFactory(name="阳光家园")


@pytest.fixture
def member(db):
    """member(role, estate) → a user holding that role in that estate."""

    def make(role: str, estate, user=None):
        membership = MembershipFactory(role=role, estate=estate, **({"user": user} if user else {}))
        return membership.user

    return make


@pytest.fixture
def actor_for(member):
    """actor_for(role, estate[, user]) → the Actor of a member holding that role there (a new user by default)."""
    from gongzhi.core.access import resolve_actor

    def make(role: str, estate, user=None):
        return resolve_actor(member(role, estate, user), estate.pk)

    return make


@pytest.fixture
def api():
    """api(user, estates) → a test client that sends that user's bearer token."""

    def make(user=None, estates=()):
        if user is None:
            return Client()
        _token, raw = token_create(user=user, name="test", estate_ids=[e.pk for e in estates])
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def user_factory(db):
    return UserFactory


TEST_LEDGER_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1


@pytest.fixture(autouse=True)
def _ledger_test_key(settings):
    """Checkpoints are signed with a fixed test key (RFC 8032's first test vector), never a key file in var/."""
    from gongzhi.ledger import signing

    settings.LEDGER_SIGNING_KEY = TEST_LEDGER_SEED
    settings.LEDGER_TRUSTED_KEYS = []
    signing.reset_cache()
    yield
    signing.reset_cache()
