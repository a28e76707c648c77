"""Transactional tests (``transaction=True``, ``live_server`` for the browser tests) end with a flush that empties
every table; the append-only tables refuse that by design (migration core 0002). Around that flush, and only there,
their triggers are lifted and then put back, so the guarantee holds for every other moment of the test run."""

from contextlib import contextmanager

from django.db import connection
from django.db.models.signals import post_migrate

from gongzhi.core.db import _append_only_sql


def append_only_tables() -> list[str]:
    """The tables whose triggers make them append-only, as the database has them now."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name = tbl_name || '_no_delete'")
        else:
            cursor.execute("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                           "WHERE t.tgname = c.relname || '_append_only'")
        return sorted(row[0] for row in cursor.fetchall())


def lift_append_only() -> list[str]:
    tables = append_only_tables()
    with connection.cursor() as cursor:
        for table in tables:
            for sql in _append_only_sql(connection.vendor, table)[1]:
                cursor.execute(sql)
    return tables


def restore_append_only(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            for sql in _append_only_sql(connection.vendor, table)[0]:
                cursor.execute(sql)


def is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@contextmanager
def lifted_for_flush(item, nextitem, blocker):
    """Around a test's teardown: lift the triggers before its flush; put them back as soon as the flush is done
    (Django's flush ends by sending post_migrate), before the test database may be torn down."""
    if not is_transactional(item):
        yield
        return
    with blocker.unblock():
        tables = lift_append_only()
    restored = False

    def restore(**kwargs):
        nonlocal restored
        if not restored:
            restored = True
            restore_append_only(tables)

    post_migrate.connect(restore, weak=False, dispatch_uid="gongzhi-append-only-restore")
    try:
        yield
    finally:
        post_migrate.disconnect(dispatch_uid="gongzhi-append-only-restore")
        if not restored and nextitem is not None:
            with blocker.unblock():
                restore()
