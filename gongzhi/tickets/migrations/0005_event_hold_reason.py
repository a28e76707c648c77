from django.db import migrations, models

from gongzhi.core.db import append_only, append_only_lifted


class Migration(migrations.Migration):
    """The timeline records why a ticket was put on hold. SQLite rebuilds the table to add the column, which drops
    the append-only triggers: they are lifted first and put back last, on both databases alike."""

    dependencies = [
        ("tickets", "0004_dispatch_sla_feedback_quotes"),
    ]

    operations = [
        append_only_lifted("tickets_ticketevent"),
        migrations.AddField(
            model_name="ticketevent",
            name="hold_reason",
            field=models.CharField(blank=True, choices=[("parts", "Waiting for parts"),
                                                        ("resident", "Waiting for the resident")],
                                   db_default="", default="", max_length=16, verbose_name="on hold because"),
        ),
        append_only("tickets_ticketevent"),
    ]
