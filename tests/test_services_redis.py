"""Redis, as production uses it: the Django cache and the Huey job queue (RedisHuey).

Skipped on a developer's machine without Redis; under CI=true an unreachable Redis is a failure.
"""

import os
import uuid

import pytest
from django.core.cache import caches

from conftest import require_service

REDIS_URL = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.services


@pytest.fixture
def redis_url():
    require_service(REDIS_URL)
    return REDIS_URL


def test_the_django_cache_round_trips_through_redis(redis_url, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    cache = caches["default"]
    assert type(cache).__name__ == "RedisCache"
    value = {"house": "3-2-1502", "area_m2": "118.50", "owners": ["张伟", "李娜"]}

    cache.set("registry", value, timeout=30)

    assert cache.get("registry") == value
    cache.set("hits", 0)
    assert cache.incr("hits") == 1
    cache.delete_many(["registry", "hits"])
    assert cache.get("registry") is None


def test_a_redis_huey_enqueues_and_executes_a_task(redis_url):
    from huey import RedisHuey

    huey = RedisHuey(name=f"gongzhi-test-{uuid.uuid4().hex}", url=redis_url, immediate=False)

    @huey.task()
    def area_total(areas):
        return str(sum(int(a) for a in areas))

    try:
        result = area_total(["100", "18"])
        assert huey.pending_count() == 1, "the task waits in Redis for a worker"

        task = huey.dequeue()  # what a consumer does: take the task from Redis and run it
        assert huey.execute(task) == "118"

        assert huey.pending_count() == 0
        assert result.get() == "118"  # the result comes back through Redis
    finally:
        huey.flush()
