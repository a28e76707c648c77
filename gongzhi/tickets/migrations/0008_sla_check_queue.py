"""The SLA sweep reads its due tickets from a narrow table kept by the database, so its writes to the wide ticket
row stay heap-only on PostgreSQL (issue 3's "sweep 100,000 open tickets in under 5 s"; bench/README.md, tickets).

- ``TicketSlaCheck`` (ticket, estate, next_check_at; indexed by next_check_at) holds a copy of
  ``Ticket.sla_next_check_at`` for every ticket that has one. Triggers keep it, whoever writes the ticket
  (services, bulk updates, the sweep, a factory): on PostgreSQL one statement-level trigger per INSERT and per
  UPDATE statement (transition tables: one set-based write per statement, not a function call per row); on SQLite
  row-level triggers. Existing tickets are copied in.
- ``ticket_sla_sweep``, the partial index on ``Ticket.sla_next_check_at``, goes: while a column the sweep writes
  was indexed, every write of the sweep was a new version of the ticket row in all of its indexes (then 17, now
  16). Without it, and with room left on each page (``fillfactor``, PostgreSQL only; it applies to pages written
  from now on), PostgreSQL updates the row in place on its page (HOT) without touching any index. The price: the
  tickets table takes about twice the pages (27 → 56 MB for the benchmark's 100,000 tickets).
- The single-column index on ``TicketEvent.ticket`` goes: ``ticket_event_timeline`` (ticket, at) serves every
  lookup by ticket, and each timeline event (the sweep appends one per step) paid for both.

Reversible. The triggers are in ``gongzhi.tickets.sla_checks``: on SQLite a later migration that rebuilds
``tickets_ticket`` must lift and restore them (see there).
"""

import django.db.models.deletion
from django.db import migrations, models

from gongzhi.tickets.sla_checks import copy_checks, sla_check_triggers

TICKETS = "tickets_ticket"
# Free space left in each page of the tickets table for the sweep's new row versions (HOT needs them on the same
# page): a page of tickets submitted together falls due together, and every row of it gets a new version.
TICKETS_FILLFACTOR = 50


def _fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TICKETS} SET (fillfactor = {TICKETS_FILLFACTOR})")


def _fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TICKETS} RESET (fillfactor)")


def _single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [name for name, c in constraints.items()
            if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == [column]]


def _drop_event_ticket_index(apps, schema_editor):
    """DROP INDEX by hand, not AlterField: on SQLite that would rebuild the table and drop its append-only
    triggers (migration 0002)."""
    model = apps.get_model("tickets", "TicketEvent")
    for name in _single_column_indexes(schema_editor, model._meta.db_table, "ticket_id"):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def _create_event_ticket_index(apps, schema_editor):
    model = apps.get_model("tickets", "TicketEvent")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field("ticket")]))


class Migration(migrations.Migration):
    dependencies = [
        ("estate", "0001_initial"),
        ("tickets", "0007_sla_thresholds"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketSlaCheck",
            fields=[
                ("estate", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to="estate.estate", verbose_name="estate")),
                ("ticket", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                related_name="sla_check", serialize=False, to="tickets.ticket",
                                                verbose_name="ticket")),
                ("next_check_at", models.DateTimeField(verbose_name="next check at")),
            ],
            options={
                "verbose_name": "SLA check",
                "verbose_name_plural": "SLA checks",
                "indexes": [models.Index(fields=["next_check_at"], name="ticket_sla_check_due")],
            },
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_sla_sweep"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="events", to="tickets.ticket", verbose_name="ticket"),
                ),
            ],
            database_operations=[migrations.RunPython(_drop_event_ticket_index, _create_event_ticket_index)],
        ),
        migrations.RunPython(copy_checks, migrations.RunPython.noop),
        sla_check_triggers(),
        migrations.RunPython(_fillfactor, _fillfactor_reset),
    ]
