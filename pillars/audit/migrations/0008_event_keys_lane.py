"""The side table of the partitioned audit log (``audit_auditevent_key``) keeps each event's
lane too, so its keys can name the lane the log is distributed on (``pillars citus-plan``).
PostgreSQL only; nothing on SQLite."""

from django.db import migrations

from pillars.core import partitions

EVENTS = partitions.MonthlyTable(table="audit_auditevent", column="occurred_at", keys=("seq",))


def forwards(apps, schema_editor):
    partitions.add_key(EVENTS, "lane", schema_editor.connection if schema_editor else None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_partition_events")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
