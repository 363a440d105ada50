"""Label the orders and checks written before records kept their program (42 CFR Part 2)."""

from typing import Any

from django.db import migrations

from pillars.people.labels import backfill_labels


def label(apps: Any, schema_editor: Any) -> None:
    placement = apps.get_model("people", "Placement")
    backfill_labels(apps.get_model("rounds", "ObservationOrder"), placement, moment="started_at")
    backfill_labels(
        apps.get_model("rounds", "Check"),
        placement,
        person="order__person_id",
        moment="observed_at",
    )


class Migration(migrations.Migration):
    dependencies = [("rounds", "0012_part2_labels")]

    operations = [migrations.RunPython(label, migrations.RunPython.noop, elidable=True)]
