import pytest


@pytest.fixture
def manager(estate, member):
    return member("manager", estate)


@pytest.fixture
def client(manager, estate, api):
    """The estate manager's API client."""
    return api(manager, [estate])


@pytest.fixture
def base(estate) -> str:
    return f"/api/v1/estates/{estate.pk}"


@pytest.fixture
def post(client, base):
    def send(path: str, payload: dict, via=None):
        return (via or client).post(base + path, payload, content_type="application/json")

    return send


@pytest.fixture
def patch(client, base):
    def send(path: str, payload: dict, via=None):
        return (via or client).patch(base + path, payload, content_type="application/json")

    return send
