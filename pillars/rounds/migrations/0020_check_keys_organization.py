"""The side table of the partitioned checks (``rounds_check_key``) keeps each check's
organization too, as its rows do (people.tenancy), so its keys can name the organization when
the database is distributed (``pillars citus-plan``). PostgreSQL only; nothing on SQLite."""

from django.db import migrations

from pillars.core import partitions

CHECKS = partitions.MonthlyTable(
    table="rounds_check", column="recorded_at", keys=("client_id", "public_id")
)


def forwards(apps, schema_editor):
    partitions.add_key(
        CHECKS, "organization_id", schema_editor.connection if schema_editor else None
    )


class Migration(migrations.Migration):
    dependencies = [("rounds", "0019_tenancy_required")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
