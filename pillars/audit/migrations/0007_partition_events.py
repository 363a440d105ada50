"""Audit events partitioned by month of ``occurred_at`` on PostgreSQL (SQLite unchanged), and
the record of months detached for archive.

``seq`` stays unique across every month in ``audit_auditevent_key``, kept by triggers
(``core.partitions``); the append-only triggers are put back on the partitioned table, where
PostgreSQL clones them onto every partition. Each lane verifies across the months; a month
detached for archive leaves an ``ArchivedMonth`` that says where each lane stood, signed with the
audit key, and the events still attached verify from there.
"""

import importlib

from django.db import migrations, models

from pillars.core import partitions

EVENTS = partitions.MonthlyTable(table="audit_auditevent", column="occurred_at", keys=("seq",))


def forwards(apps, schema_editor):
    from django.db import connection as default

    connection = schema_editor.connection if schema_editor else default
    if connection.vendor != "postgresql":
        return
    partitions.partition_by_month(EVENTS, connection)
    triggers = importlib.import_module("pillars.audit.migrations.0003_append_only_triggers")
    with connection.cursor() as cursor:
        for sql in triggers.POSTGRES_UP:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_lanes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArchivedMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("partition", models.CharField(max_length=64, unique=True)),
                ("month", models.DateField()),
                ("detached_at", models.DateTimeField()),
                ("events", models.PositiveBigIntegerField()),
                (
                    "lanes",
                    models.JSONField(help_text="Lane number to [last seq, its HMAC] in the month."),
                ),
                ("signature", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["month"],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
