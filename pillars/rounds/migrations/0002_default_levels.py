"""The default observation levels (DESIGN.md facts): q15 standard, q5 high risk, q30/q60
residential, line of sight, 1:1 and 2:1 documented every 15 minutes; grace 1.5 intervals."""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

DEFAULTS = [
    # code, name, interval, staff ratio, line of sight, order
    ("q5", "Every 5 minutes", 5, 0, False, 10),
    ("q15", "Every 15 minutes", 15, 0, False, 20),
    ("q30", "Every 30 minutes", 30, 0, False, 30),
    ("q60", "Every 60 minutes", 60, 0, False, 40),
    ("line-of-sight", "Line of sight", 15, 0, True, 50),
    ("one-to-one", "1:1 within arm's length", 15, 1, True, 60),
    ("two-to-one", "2:1", 15, 2, True, 70),
]


def forwards(apps, schema_editor):
    Level = apps.get_model("rounds", "ObservationLevel")
    now = timezone.now()
    for code, name, minutes, ratio, sight, order in DEFAULTS:
        if not Level.objects.filter(code=code).exists():
            Level.objects.create(
                code=code,
                version=1,
                is_current=True,
                name=name,
                interval_minutes=minutes,
                grace_factor=Decimal("1.50"),
                due_window_minutes=1 if minutes <= 5 else 2,
                staff_ratio=ratio,
                is_line_of_sight=sight,
                sort_order=order,
                created_at=now,
            )


class Migration(migrations.Migration):
    dependencies = [("rounds", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
