"""Batch sync and an order's checks through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock
from pillars.core.tests.api_support import api_as
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
        started_at=clock.now() - timedelta(hours=1),
    )


def check(of: ObservationOrder, **overrides: Any) -> dict[str, Any]:
    values = {
        "order": str(of.public_id),
        "client_id": str(uuid.uuid4()),
        "observed_at": (clock.now() - timedelta(minutes=1)).isoformat(),
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
    }
    values.update(overrides)
    return values


def test_batch_answers_each_item(world: World, order: ObservationOrder) -> None:
    good = check(order)
    body = {"checks": [good, check(order, order=str(uuid.uuid4())), good]}
    response = api_as(world.user("bht")).post("/checks/batch", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["status"] for r in data["results"]] == ["created", "refused", "replayed"]
    assert data["results"][1]["errors"] == {"order": ["Not found."]}
    assert (data["created"], data["replayed"], data["refused"]) == (1, 1, 1)
    assert Check.objects.get(client_id=good["client_id"]).public_id == uuid.UUID(
        data["results"][0]["check"]
    )
    # Sent again whole: every item is a replay, nothing new is stored.
    again = api_as(world.user("bht")).post("/checks/batch", {"checks": [good]})
    assert again.json()["results"][0]["status"] == "replayed"
    assert Check.objects.count() == 1


def test_batch_over_a_thousand_is_refused_whole(world: World, order: ObservationOrder) -> None:
    body = {"checks": [check(order) for _ in range(1001)]}
    response = api_as(world.user("bht")).post("/checks/batch", body)
    assert response.status_code == 422
    assert not Check.objects.exists()


def test_batch_with_idempotency_key_replays_the_answer(
    world: World, order: ObservationOrder
) -> None:
    key = str(uuid.uuid4())
    body = {"checks": [check(order)]}
    client = api_as(world.user("bht"))
    first = client.post("/checks/batch", body, headers={"Idempotency-Key": key})
    second = client.post("/checks/batch", body, headers={"Idempotency-Key": key})
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"


def test_order_checks_are_paged_and_the_read_audited(world: World, order: ObservationOrder) -> None:
    client = api_as(world.user("bht"))
    client.post("/checks/batch", {"checks": [check(order) for _ in range(3)]})
    before = last_seq()
    first = client.get(f"/orders/{order.public_id}/checks", {"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    second = client.get(
        f"/orders/{order.public_id}/checks", {"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    reads = AuditEvent.objects.filter(seq__gt=before, action="view")
    assert reads.count() == 2
    assert all(e.person_id == world.person_a.public_id for e in reads)
    outsider = api_as(world.user("outsider")).get(f"/orders/{order.public_id}/checks")
    assert outsider.status_code == 404


def test_a_schema_invalid_item_is_named_by_its_index(world: World, order: ObservationOrder) -> None:
    # Issue 11 item 12: the tablet must know which queued check blocks the queue.
    body = {"checks": [check(order), check(order), check(order), check(order, location="moon")]}
    response = api_as(world.user("bht")).post("/checks/batch", body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["checks.3.location"]
    assert not Check.objects.exists()


def test_the_schema_names_the_list_the_route_reads() -> None:
    # Issue 12: another app's ``BatchIn`` (with ``records``) once replaced this one in the schema.
    from pillars.api import api

    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/v1/checks/batch"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    batch = schema["components"]["schemas"][ref]
    assert batch["required"] == ["checks"]
    item = batch["properties"]["checks"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert {"order", "client_id", "location"} <= set(
        schema["components"]["schemas"][item]["properties"]
    )
