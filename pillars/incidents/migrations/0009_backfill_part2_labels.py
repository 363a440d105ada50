"""Label the incidents, behavior data, plans, safety plans and restraint episodes written before
records kept their program (42 CFR Part 2)."""

from typing import Any

from django.db import migrations

from pillars.people.labels import backfill_labels


def label(apps: Any, schema_editor: Any) -> None:
    placement = apps.get_model("people", "Placement")

    def model(name: str) -> Any:
        return apps.get_model("incidents", name)

    backfill_labels(model("Incident"), placement, unit="unit_id")
    backfill_labels(model("RestraintEpisode"), placement, unit="unit_id")
    backfill_labels(model("BehaviorPlan"), placement, moment="written_at")
    backfill_labels(model("PlanPhase"), placement, moment="recorded_at")
    backfill_labels(model("BehaviorContract"), placement, moment="written_at")
    backfill_labels(model("BehaviorRecord"), placement, moment="observed_at")
    backfill_labels(model("SafetyPlanVersion"), placement, moment="drafted_at")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0008_part2_labels")]

    operations = [migrations.RunPython(label, migrations.RunPython.noop, elidable=True)]
