"""The keys Citus needs (people.distribution), made on this PostgreSQL test database inside the
test's transaction (rolled back after): every statement but the Citus calls runs, each tenant
table then has its organization in its primary key, in every unique key and in every link to
another tenant table, and Pillars still writes and reads through the re-keyed tables."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from pillars.core import clock
from pillars.people.distribution import ORG, plan
from pillars.people.testing import build_world
from pillars.rounds import services
from pillars.rounds.models import Check, ObservationLevel

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Citus distributes PostgreSQL databases"
)


@pytest.mark.django_db
def test_the_plan_keys_every_tenant_table_by_its_organization() -> None:
    made = plan(connection)
    KEYED[:] = [table for table, key in made.tables.items() if key == ORG]
    assert "core_idempotencyrecord" in made.local
    assert {"rounds_check", "rounds_check_key", "people_alert", "people_alert_key"} <= set(
        made.tables
    )
    assert {"audit_auditevent", "audit_auditevent_key", "audit_chainhead"} <= set(made.tables)
    with connection.cursor() as cursor:
        for statement in made.keys:
            cursor.execute(statement)
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype,
                   array(SELECT a.attname FROM pg_attribute a
                         WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey))
              FROM pg_constraint c
             WHERE c.contype IN ('p', 'u', 'f') AND c.conrelid::regclass::text = ANY(%s)
            """,
            [list(made.tables)],
        )
        rows = cursor.fetchall()
    assert len({table for table, *_ in rows}) > 100
    wrong = [
        (table, name)
        for table, name, kind, columns in rows
        if made.tables[table] not in columns
        # A link to a shared table (a role, a level) or to the organization needs no more.
        and not (kind == "f" and not _points_at_tenant(name, table))
    ]
    assert wrong == []

    # Pillars still writes through the re-keyed tables, every link checked now.
    world = build_world()
    order = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission",
    )
    services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=__import__("uuid").uuid4(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert Check.objects.filter(order=order).count() == 1


KEYED: list[str] = []  # the plan's tables, for _points_at_tenant


def _points_at_tenant(name: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.confrelid::regclass::text = ANY(%s)
              FROM pg_constraint c WHERE c.conname = %s AND c.conrelid = to_regclass(%s)
            """,
            [KEYED, name, table],
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_plan_is_printed() -> None:
    out = io.StringIO()
    call_command("citus-plan", stdout=out)
    text = out.getvalue()
    assert "create_distributed_table('rounds_observationorder', 'organization_id'" in text
    assert "create_reference_table('people_role')" in text
    assert 'PRIMARY KEY ("organization_id", "id")' in text
