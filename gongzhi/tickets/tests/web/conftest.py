"""Fixtures of the tickets page tests."""

import pytest


@pytest.fixture
def media(settings, tmp_path):
    """Stored photos go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
