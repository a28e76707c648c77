"""A write that waited out the database's lock timeout answers 503 with Retry-After (the transaction was rolled
back, so a retry is safe), in the one error shape; any other database error stays a server error."""

import pytest
from django.db import OperationalError
from ninja import NinjaAPI
from ninja.testing import TestClient

from gongzhi.core.api import install_error_handlers


def _client(error: Exception) -> TestClient:
    api = NinjaAPI(urls_namespace=f"busy-{id(error)}")
    install_error_handlers(api)

    @api.post("/write")
    def write(request):
        raise error

    return TestClient(api)


def test_a_locked_sqlite_database_is_a_503_with_retry_after():
    response = _client(OperationalError("database is locked")).post("/write")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["code"] == "busy" and set(body["messages"]) == {"zh-hans", "en"}


def test_any_other_database_error_is_not_disguised():
    with pytest.raises(OperationalError):
        _client(OperationalError("no such table: x")).post("/write")
