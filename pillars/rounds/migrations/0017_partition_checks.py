"""Checks partitioned by month of ``recorded_at`` on PostgreSQL (SQLite unchanged).

``recorded_at`` is the server's clock when the check arrived, never a device's: a new check
always lands in the current month, which the worker made ahead (``core.partitions``), a late
entry or a tablet with a wrong clock cannot write into a month already detached for archive, and
a month detached holds exactly what entered the record in that month. Reports that read by
``observed_at`` use each month's (order, observed_at) index.

The client id and public id stay unique across every month in ``rounds_check_key``, kept by
triggers; the addenda's and set-aside checks' foreign keys point at it. The models do not
change: Django keeps using ``id``. A new foreign key to Check must be pointed at
``rounds_check_key`` in its migration on PostgreSQL, as ``partition_by_month`` does here.
"""

from django.db import migrations

from pillars.core import partitions

CHECKS = partitions.MonthlyTable(
    table="rounds_check", column="recorded_at", keys=("client_id", "public_id")
)


def forwards(apps, schema_editor):
    partitions.partition_by_month(CHECKS, schema_editor.connection if schema_editor else None)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("rounds", "0016_move_alerts_to_people")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
