from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the staff's ticket list (newest first) filtered by status and category, or by assignee.

    Without them SQLite, which has no statistics here, walks the estate's tickets newest first and filters each:
    fine for a common filter, but a rare one (``?status=submitted&category_id=…``, an assignee with no ticket)
    read all 100,000 tickets of the benchmark's estate (40–50 ms). With them the list reads only its own rows on
    both databases (bench/README.md, tickets)."""

    dependencies = [
        ("tickets", "0005_event_hold_reason"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["estate", "status", "category", "id"], name="ticket_list_status_category"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["estate", "assignee", "id"], name="ticket_list_assignee"),
        ),
    ]
