"""The triggers that keep ``TicketSlaCheck`` (the SLA sweep's queue) equal to ``Ticket.sla_next_check_at``, for
the migrations (0008 adds them). No imports from the app: old migrations must keep working as the models change.

On PostgreSQL one statement-level trigger per INSERT and per UPDATE statement on the tickets (with transition
tables: one set-based write per statement, not a function call per row, so a batch of the sweep pays once); on
SQLite row-level triggers. On SQLite a migration that rebuilds ``tickets_ticket`` (it alters one of its fields)
drops them, as it drops the timeline's append-only triggers: put ``sla_check_triggers_lifted()`` before and
``sla_check_triggers()`` after such an operation in the same migration (the sweep's tests fail without them).
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION tickets_sla_check_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tickets_ticketslacheck (ticket_id, estate_id, next_check_at)
        SELECT id, estate_id, sla_next_check_at FROM new_rows WHERE sla_next_check_at IS NOT NULL;
        RETURN NULL;
    END $$""",
    # One statement for all the rows of an UPDATE: drop the checks cleared, move those changed, add the new ones.
    # Nested loops on the primary key: with no statistics on a transition table, the planner hashed the whole
    # queue to join a batch of the sweep to it.
    """CREATE OR REPLACE FUNCTION tickets_sla_check_updated() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off AS $$
    BEGIN
        WITH n AS MATERIALIZED (SELECT id, estate_id, sla_next_check_at AS at FROM new_rows),
        cleared AS (DELETE FROM tickets_ticketslacheck c USING n WHERE c.ticket_id = n.id AND n.at IS NULL),
        moved AS (UPDATE tickets_ticketslacheck c SET next_check_at = n.at FROM n
                  WHERE c.ticket_id = n.id AND n.at IS NOT NULL AND c.next_check_at <> n.at)
        INSERT INTO tickets_ticketslacheck (ticket_id, estate_id, next_check_at)
        SELECT n.id, n.estate_id, n.at FROM n
        WHERE n.at IS NOT NULL AND NOT EXISTS (SELECT FROM tickets_ticketslacheck c WHERE c.ticket_id = n.id)
        ON CONFLICT (ticket_id) DO NOTHING;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER tickets_ticket_sla_check_insert AFTER INSERT ON tickets_ticket REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tickets_sla_check_inserted()",
    "CREATE TRIGGER tickets_ticket_sla_check_update AFTER UPDATE ON tickets_ticket REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tickets_sla_check_updated()",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_sla_check_insert ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_ticket_sla_check_update ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_sla_check_inserted()",
    "DROP FUNCTION IF EXISTS tickets_sla_check_updated()",
]
SQLITE_FORWARD = [
    """CREATE TRIGGER tickets_ticket_sla_check_insert AFTER INSERT ON tickets_ticket
    WHEN NEW.sla_next_check_at IS NOT NULL
    BEGIN
        INSERT INTO tickets_ticketslacheck (ticket_id, estate_id, next_check_at)
        VALUES (NEW.id, NEW.estate_id, NEW.sla_next_check_at);
    END""",
    """CREATE TRIGGER tickets_ticket_sla_check_set AFTER UPDATE OF sla_next_check_at ON tickets_ticket
    WHEN NEW.sla_next_check_at IS NOT NULL AND NEW.sla_next_check_at IS NOT OLD.sla_next_check_at
    BEGIN
        INSERT INTO tickets_ticketslacheck (ticket_id, estate_id, next_check_at)
        VALUES (NEW.id, NEW.estate_id, NEW.sla_next_check_at)
        ON CONFLICT (ticket_id) DO UPDATE SET next_check_at = excluded.next_check_at;
    END""",
    """CREATE TRIGGER tickets_ticket_sla_check_clear AFTER UPDATE OF sla_next_check_at ON tickets_ticket
    WHEN NEW.sla_next_check_at IS NULL AND OLD.sla_next_check_at IS NOT NULL
    BEGIN
        DELETE FROM tickets_ticketslacheck WHERE ticket_id = NEW.id;
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_sla_check_insert",
    "DROP TRIGGER IF EXISTS tickets_ticket_sla_check_set",
    "DROP TRIGGER IF EXISTS tickets_ticket_sla_check_clear",
]


def _sql(vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return PG_FORWARD, PG_BACKWARD
    if vendor == "sqlite":
        return SQLITE_FORWARD, SQLITE_BACKWARD
    # Like gongzhi.core.db.append_only: the two engines the project supports, a clear error for any other.
    raise ImproperlyConfigured(f"Gongzhi runs on SQLite or PostgreSQL, not {vendor}")  # pragma: no cover


def _add(apps, schema_editor) -> None:
    for sql in _sql(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def _drop(apps, schema_editor) -> None:
    for sql in _sql(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


def sla_check_triggers() -> migrations.RunPython:
    """A migration operation adding the triggers (reversed: dropping them)."""
    return migrations.RunPython(_add, _drop)


def sla_check_triggers_lifted() -> migrations.RunPython:
    """The reverse of ``sla_check_triggers``: before an operation that rebuilds the tickets table on SQLite."""
    return migrations.RunPython(_drop, _add)


def copy_checks(apps, schema_editor) -> None:
    """Fill the queue from the tickets (before the triggers keep it)."""
    schema_editor.execute("INSERT INTO tickets_ticketslacheck (ticket_id, estate_id, next_check_at) "
                          "SELECT id, estate_id, sla_next_check_at FROM tickets_ticket WHERE sla_next_check_at IS NOT NULL")
