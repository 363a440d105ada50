"""Caseload assignments keep the program they were made in (42 CFR Part 2): the label's
columns, and the rows written before them labelled from the person's placement at each
assignment's start (``CaseloadAssignment.start_moment``), by the rule ``labels.backfill_labels``
labels other records with."""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from pillars.core import clock

BATCH = 2000


def start_moment(started_on: date, now: datetime) -> datetime:
    """``CaseloadAssignment.start_moment`` as it was when this migration was written: now for a
    start today or later, else the last moment of the first day in the organization's zone."""
    zone = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
    return min(datetime.combine(started_on, time.max, tzinfo=zone), now)


def label(apps: Any, schema_editor: Any) -> None:
    assignment = apps.get_model("people", "CaseloadAssignment")
    placement = apps.get_model("people", "Placement")
    now = clock.now()
    placements: dict[int, list[tuple[datetime, datetime | None, int]]] = {}
    for person_id, started, ended, unit_id in placement.objects.values_list(
        "episode__person_id", "started_at", "ended_at", "unit_id"
    ).order_by("-started_at"):
        placements.setdefault(person_id, []).append((started, ended, unit_id))
    rows = assignment.objects.filter(made_in_unit__isnull=True).values_list(
        "pk", "person_id", "started_on"
    )
    changed: list[Any] = []
    for pk, person_id, started_on in rows.iterator(chunk_size=BATCH):
        at = start_moment(started_on, now)
        mine = placements.get(person_id, [])
        started = [p for p in mine if p[0] <= at]
        inside = [p for p in started if p[1] is None or p[1] > at]
        options = inside or started or mine[-1:]
        if options:
            changed.append(assignment(pk=pk, made_in_unit_id=options[0][2]))
        if len(changed) >= BATCH:
            assignment.objects.bulk_update(changed, ["made_in_unit"])
            changed = []
    if changed:
        assignment.objects.bulk_update(changed, ["made_in_unit"])
    assignment.objects.filter(made_in_unit__is_substance_use_program=True).update(is_part2=True)


class Migration(migrations.Migration):
    dependencies = [("people", "0010_alert_keys_organization")]

    operations = [
        migrations.AddField(
            model_name="caseloadassignment",
            name="is_part2",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="caseloadassignment",
            name="made_in_unit",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="people.unit",
            ),
        ),
        migrations.RunPython(label, migrations.RunPython.noop, elidable=True),
    ]
