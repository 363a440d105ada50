"""Rounds through the API: a unit's orders with their clocks, and recording a check."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world: World) -> ObservationOrder:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
        precautions=["suicide", "elopement"],
        started_at=clock.now() - timedelta(hours=1),
    )


def body(**overrides: Any) -> dict[str, Any]:
    values = {
        "client_id": str(uuid.uuid4()),
        "observed_at": clock.now().isoformat(),
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
    }
    values.update(overrides)
    return values


def test_unit_orders_show_the_clock_and_audit_the_read(
    world: World, order: ObservationOrder
) -> None:
    before = last_seq()
    response = api_as(world.user("bht")).get(f"/units/{world.unit_a.public_id}/orders")
    assert response.status_code == 200
    [row] = response.json()
    assert row["public_id"] == str(order.public_id)
    assert row["level"] == "q15"
    assert row["precautions"] == ["suicide", "elopement"]
    assert row["status"] == "missed"  # ordered an hour ago and never checked
    reads = AuditEvent.objects.filter(seq__gt=before, action="view")
    assert [e.detail["person_ids"] for e in reads] == [[str(world.person_a.public_id)]]


def test_recording_a_check_and_replaying_it(world: World, order: ObservationOrder) -> None:
    api = api_as(world.user("bht"))
    sent = body()
    first = api.post(f"/orders/{order.public_id}/checks", sent)
    assert first.status_code == 201, first.content
    again = api.post(f"/orders/{order.public_id}/checks", sent)
    assert again.status_code == 201
    assert again.json()["public_id"] == first.json()["public_id"]
    assert Check.objects.count() == 1
    changed = api.post(f"/orders/{order.public_id}/checks", {**sent, "activity": "pacing"})
    assert_problem(changed, 409)
    order.refresh_from_db()
    assert order.last_observed_at is not None


def test_a_field_the_schema_does_not_know_is_ignored(world: World, order: ObservationOrder) -> None:
    """The schema's fields go to the service by name: a client's extra field must not reach it
    (a newer tablet, a typo) and turn a check into a server error."""
    api = api_as(world.user("bht"))
    response = api.post(f"/orders/{order.public_id}/checks", body(mood="calm", order="x"))
    assert response.status_code == 201, response.content
    assert Check.objects.get().order == order


def test_a_late_entry_without_a_reason_is_refused_with_the_field(
    world: World, order: ObservationOrder
) -> None:
    api = api_as(world.user("bht"))
    old = (clock.now() - timedelta(minutes=40)).isoformat()
    refused = api.post(f"/orders/{order.public_id}/checks", body(observed_at=old))
    problem = assert_problem(refused, 422)
    assert "late_reason" in problem["errors"]
    accepted = api.post(
        f"/orders/{order.public_id}/checks",
        body(observed_at=old, late_reason="Documented after a code"),
    )
    assert accepted.status_code == 201
    assert accepted.json()["is_late_entry"] is True


def test_scope_and_role(world: World, order: ObservationOrder) -> None:
    assert_problem(
        api_as(world.user("outsider")).post(f"/orders/{order.public_id}/checks", body()), 404
    )
    assert_problem(
        api_as(world.user("peer")).post(f"/orders/{order.public_id}/checks", body()), 403
    )
    assert_problem(
        api_as(world.user("bht"), scopes=["read"]).post(
            f"/orders/{order.public_id}/checks", body()
        ),
        403,
    )
    assert not Check.objects.exists()


def test_a_check_through_the_api_reads_the_order_and_the_placements_once(
    world: World, order: ObservationOrder, django_assert_max_num_queries: Any
) -> None:
    """The hot path of the floor: sign-in by token (its row, then the roles and id sets in one
    query), the idempotency lookup, the order (locked) and the person's placements, the check,
    the order's clock, the audit event, the stored answer. No second read of the order, the
    placements or the roles, and no lookup of the client id before a first send."""
    api = api_as(world.user("bht"))
    warm = api.post(f"/orders/{order.public_id}/checks", body())
    assert warm.status_code == 201, warm.content
    with django_assert_max_num_queries(15) as captured:
        response = api.post(f"/orders/{order.public_id}/checks", body())
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "people_placement"' in s for s in sql) == 1
    assert sum('FROM "rounds_observationorder"' in s for s in sql) == 1
    assert not any("people_role" in s and "prefetch" in s for s in sql)
