"""The side table of the partitioned alerts (``people_alert_key``) keeps each alert's
organization too, as its rows do (people.tenancy), so its keys can name the organization when
the database is distributed (``pillars citus-plan``). PostgreSQL only; nothing on SQLite, and
nothing where the table was partitioned with it already."""

from django.db import migrations

from pillars.core import partitions

ALERTS = partitions.MonthlyTable(
    table="people_alert",
    column="created_at",
    keys=("public_id", "recipient_id", "dedupe_key", "resolved_at"),
)


def forwards(apps, schema_editor):
    partitions.add_key(
        ALERTS, "organization_id", schema_editor.connection if schema_editor else None
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0009_tenancy_required")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
