"""Database helpers that must work the same on SQLite and PostgreSQL."""

from django.core.exceptions import ImproperlyConfigured
from django.db import migrations


def _append_only_sql(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "sqlite":
        forward = [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
        ]
        backward = [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    elif vendor == "postgresql":
        forward = [
            "CREATE OR REPLACE FUNCTION gongzhi_refuse_change() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gongzhi_refuse_change();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION gongzhi_refuse_change();",
        ]
        backward = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        ]
    else:  # pragma: no cover - other engines are not supported
        raise ImproperlyConfigured(f"Gongzhi runs on SQLite or PostgreSQL, not {vendor}")
    return forward, backward


def append_only(table: str) -> migrations.RunPython:
    """A migration operation that makes the database itself refuse UPDATE and DELETE on ``table``.

    Append-only is a trust guarantee (DESIGN.md habit 7), so it is enforced below the ORM too.
    """

    def forward(apps, schema_editor):
        for sql in _append_only_sql(schema_editor.connection.vendor, table)[0]:
            schema_editor.execute(sql)

    def backward(apps, schema_editor):
        for sql in _append_only_sql(schema_editor.connection.vendor, table)[1]:
            schema_editor.execute(sql)

    return migrations.RunPython(forward, backward)


def append_only_lifted(table: str) -> migrations.RunPython:
    """The reverse of ``append_only``: for a migration that must alter an append-only table (SQLite rebuilds a
    table to add a column, which drops its triggers). Put ``append_only(table)`` back at the end of the same
    migration."""
    guard = append_only(table)
    return migrations.RunPython(guard.reverse_code, guard.code)
