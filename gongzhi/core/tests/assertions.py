"""Assertions shared by every app's tests: the one error body, and "nothing was written"."""

from contextlib import contextmanager

from django.apps import apps

from gongzhi.core.models import AuditEntry

# Bookkeeping that a refused request may legitimately touch: the token's last use, the sign-in attempts that
# django-axes counts, sessions.
_IGNORED_FIELDS = {"last_used_at"}
_OWN_APPS = {"core", "accounts", "estate"}


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's one error shape: code, message, both product languages, detail."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.content[:400]}"
    body = response.json()
    assert set(body) == {"code", "message", "messages", "detail"}, body
    assert body["code"] == code, body
    assert set(body["messages"]) == {"zh-hans", "en"}, body
    assert all(isinstance(text, str) and text for text in body["messages"].values()), body
    assert body["message"] in body["messages"].values(), body
    return body


def _state() -> dict:
    state = {}
    for model in apps.get_models():
        if model._meta.app_label not in _OWN_APPS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in _IGNORED_FIELDS]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*fields))
    return state


@contextmanager
def nothing_written():
    """Every row of the project's own tables is the same afterwards, and no audit entry was added."""
    audit_before = AuditEntry.objects.count()
    before = _state()
    yield
    assert AuditEntry.objects.count() == audit_before, "an audit entry was written"
    after = _state()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"rows were written in {changed}"
