"""The migrations that partition checks, alerts and audit events convert tables that already hold
rows in several months, on a PostgreSQL database of its own: every row lands in its month, keys
and references stay whole, the id sequence goes on past the copied rows, the audit chain still
verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.once,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
    ),
]

ROOT = Path(__file__).resolve().parents[3]

# Run in a process of its own on the scratch database: migrate everything but the partitioning,
# write checks in three months (and an addendum), then migrate the rest and report.
SCRIPT = """
import json, uuid
from datetime import timedelta
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from pillars.core import clock
from pillars.people.testing import build_world
from pillars.people.models import Alert
from pillars.rounds import services
from pillars.rounds.models import Check, CheckAddendum, ObservationLevel

before = [
    ("rounds", "0016_move_alerts_to_people"), ("people", "0005_alerts"), ("audit", "0006_lanes"),
    # Each app before its rows carried their organization (people.tenancy), which came later.
    ("incidents", "0011_exposure_to_workforce"), ("workforce", "0007_cadence_rule_versions"),
    ("recovery", "0009_referral_follow_up_portal_refusals"), ("insights", "0003_cursor_per_lane"),
]
executor = MigrationExecutor(connection)
leaves = executor.loader.graph.leaf_nodes()
executor.migrate([n for n in leaves if n[0] not in {a for a, _ in before}] + before)

# Today's models write the rows below: every column a later migration adds (the rows'
# organization, an order's escalation unit, ...) is there for the writing, and gone again before
# the migrations that add it (and fill it from the rows' parents).
from django.apps import apps
with connection.cursor() as cursor:
    tables = set(connection.introspection.table_names(cursor))
    lacking = []
    for m in apps.get_models():
        if m._meta.db_table not in tables:
            continue
        have = {
            c.name for c in connection.introspection.get_table_description(cursor, m._meta.db_table)
        }
        lacking += [(m, f) for f in m._meta.local_concrete_fields if f.column not in have]
with connection.schema_editor() as editor:
    for model, field in lacking:
        editor.add_field(model, field)

world = build_world()
now = clock.now()
order = services.order_observation(
    world.person_a, actor=world.user("nurse"),
    level=ObservationLevel.objects.get(code="q15", is_current=True), reason="Admission",
)
checks = []
for days in (75, 45, 12):
    moment = now - timedelta(days=days)
    checks.append(Check.objects.create(
        order=order, observed_by=world.staff["bht"], observed_at=moment, recorded_at=moment,
        location="bedroom", activity="asleep", safety_status="safe", client_id=uuid.uuid4(),
    ))
CheckAddendum.objects.create(
    check_record=checks[0], written_by=world.staff["nurse"], written_at=now, reason="Typo",
    text="Asleep.",
)

old_alert = Alert.objects.create(
    kind="other", recipient=world.staff["nurse"], message="Old.", due_at=now - timedelta(days=50),
    created_at=now - timedelta(days=50), dedupe_key="t:1",
)

import time_machine
from pillars.audit import log
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database
old_events = []
for days in (75, 45):
    with time_machine.travel(now - timedelta(days=days), tick=False):
        old_events.append(log.record(
            actor=None, action="view", object_type="test", object_id=str(days)))

with connection.schema_editor() as editor:
    for model, field in lacking:
        editor.remove_field(model, field)
call_command("migrate", verbosity=0)
organizations = {
    model._meta.label: sorted(set(model.objects.values_list("organization_id", flat=True)))
    for model in (Check, CheckAddendum, Alert)
}

broken, audit_checked = verify_database()
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT id, tableoid::regclass::text FROM audit_auditevent WHERE id = ANY(%s)",
        [[e.pk for e in old_events]],
    )
    events_placed = {str(pk): name for pk, name in cursor.fetchall()}
    cursor.execute("SELECT count(*) FROM audit_auditevent_key")
    audit_keys = cursor.fetchone()[0]
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old_events[0].pk])
    audit_delete = "done"
except Exception:
    audit_delete = "refused"
after = log.record(actor=None, action="view", object_type="test", object_id="after")

with connection.cursor() as cursor:
    cursor.execute(
        "SELECT id, tableoid::regclass::text FROM rounds_check ORDER BY id"
    )
    placed = {str(pk): name for pk, name in cursor.fetchall()}
    cursor.execute("SELECT count(*) FROM rounds_check_key")
    keys = cursor.fetchone()[0]
    # The side tables keep each row's organization (rounds 0020, people 0010).
    cursor.execute(
        "SELECT count(*) FROM rounds_check_key k JOIN rounds_check c USING (id) "
        "WHERE k.organization_id = c.organization_id"
    )
    keys_with_organization = cursor.fetchone()[0]
    cursor.execute("SELECT count(organization_id) FROM people_alert_key")
    alert_keys_with_organization = cursor.fetchone()[0]
    cursor.execute(
        "SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
        "AND conrelid = 'rounds_checkaddendum'::regclass "
        "AND confrelid IN ('rounds_check'::regclass, 'rounds_check_key'::regclass)"
    )
    addendum_points_at = [row[0] for row in cursor.fetchall()]
new = Check.objects.create(
    order=order, observed_by=world.staff["bht"], observed_at=now, recorded_at=now,
    location="bedroom", activity="asleep", safety_status="safe", client_id=uuid.uuid4(),
)
try:
    with transaction.atomic():
        Check.objects.create(
            order=order, observed_by=world.staff["bht"], observed_at=now, recorded_at=now,
            location="bedroom", activity="asleep", safety_status="safe",
            client_id=checks[0].client_id,
        )
    duplicate = "stored"
except IntegrityError:
    duplicate = "refused"
try:
    with transaction.atomic():
        Alert.objects.create(
            kind="other", recipient=world.staff["nurse"], message="New.", due_at=now,
            created_at=now, dedupe_key="t:1",
        )
    open_twice = "stored"
except IntegrityError:
    open_twice = "refused"
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT tableoid::regclass::text FROM people_alert WHERE id = %s", [old_alert.pk]
    )
    alert_in = cursor.fetchone()[0]
print("RESULT " + json.dumps({
    "audit_broken": str(broken) if broken else None,
    "audit_checked": audit_checked,
    "audit_events": AuditEvent.objects.count(),
    "audit_keys": audit_keys,
    "events_placed": events_placed,
    "events_months": {str(e.pk): f"audit_auditevent_p{e.occurred_at:%Y_%m}" for e in old_events},
    "audit_delete": audit_delete,
    "after_verifies": verify_database()[0] is None and after.seq > old_events[-1].seq,
    "alert_in": alert_in,
    "alert_month": f"people_alert_p{old_alert.created_at:%Y_%m}",
    "open_twice": open_twice,
    "months": {str(c.pk): f"rounds_check_p{c.recorded_at:%Y_%m}" for c in checks},
    "placed": placed,
    "keys": keys,
    "keys_with_organization": keys_with_organization,
    "alert_keys_with_organization": alert_keys_with_organization,
    "addendum_points_at": addendum_points_at,
    "new_id_above": new.pk > max(c.pk for c in checks),
    "duplicate": duplicate,
    "organizations": organizations,
    "org": world.org.pk,
}))
"""


@pytest.fixture
def scratch_database() -> Iterator[str]:
    settings = connection.settings_dict
    name = f"{settings['NAME']}_partition_migration"
    admin = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        port = settings["PORT"] or 5432
        yield f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_migration_converts_a_table_with_checks_in_several_months(
    scratch_database: str,
) -> None:
    env = {**os.environ, "DATABASE_URL": scratch_database, "PILLARS_ENV": "test"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert len(set(result["months"].values())) == 3
    # The rows written before tenancy took their organization from their parents.
    assert set(map(tuple, result["organizations"].values())) == {(result["org"],)}
    for pk, month in result["months"].items():
        assert result["placed"][pk] == month
    assert result["keys"] == 3
    assert result["keys_with_organization"] == 3
    assert result["alert_keys_with_organization"] >= 1
    assert result["addendum_points_at"] == ["rounds_check_key"]
    assert result["new_id_above"]
    assert result["duplicate"] == "refused"
    assert result["alert_in"] == result["alert_month"]
    assert result["open_twice"] == "refused"
    # The audit log: each old event in its month, every event's seq in the side table, the
    # chain verifying across the months, still append-only, and appends going on after.
    assert result["audit_broken"] is None
    assert result["audit_checked"] == result["audit_keys"] == result["audit_events"] - 1
    assert result["events_placed"] == result["events_months"]
    assert len(set(result["events_months"].values())) == 2
    assert result["audit_delete"] == "refused"
    assert result["after_verifies"]
