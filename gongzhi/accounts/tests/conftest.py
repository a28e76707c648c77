import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The sign-in endpoint's rate limit lives in the cache; each test starts with none of it used."""
    cache.clear()
    yield
    cache.clear()
