"""Alerts partitioned by month of ``created_at`` on PostgreSQL (SQLite unchanged), as checks are
(``core.partitions``).

``created_at`` is when the alert was written, never changed afterwards: new alerts land in the
current month, which the worker made ahead, and a month detached for archive holds the alerts
raised in it. A recipient's one open alert per dedupe key (``alert_open_dedupe_unique``) holds
across months in ``people_alert_key``, which carries the recipient, the key and ``resolved_at``
(kept by the triggers when an alert is resolved); the public id stays unique there too. The
model does not change: Django keeps using ``id``.
"""

from django.db import migrations

from pillars.core import partitions

ALERTS = partitions.MonthlyTable(
    table="people_alert",
    column="created_at",
    # organization_id: in a database made from today's models only (people 0008 adds it later;
    # a table partitioned before then keeps the rule on the recipient, who fixes it).
    keys=("public_id", "recipient_id", "dedupe_key", "resolved_at", "organization_id"),
)


def forwards(apps, schema_editor):
    partitions.partition_by_month(ALERTS, schema_editor.connection if schema_editor else None)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_alerts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
