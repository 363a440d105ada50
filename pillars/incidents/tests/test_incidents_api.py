"""Incidents through the API: draft (idempotent), submit, review, close, addenda, debriefs,
the cursor list, and one's own exposure."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.incidents.models import Incident
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def body(world: World, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "unit": str(world.unit_a.public_id),
        "type": "aggression_staff",
        "occurred_at": (clock.now() - timedelta(minutes=15)).isoformat(),
        "location": "Hallway",
        "narrative": "Struck a staff member once.\nStopped when given space.",
        "persons": [str(world.person_a.public_id)],
        "staff_involved": [str(world.staff["bht"].public_id)],
        "deescalation_steps": ["verbal", "space"],
    }
    values.update(over)
    return values


def test_the_whole_journey(world: World) -> None:
    bht = api_as(world.user("bht"))
    key = str(uuid.uuid4())
    sent = body(world, client_id=key)
    first = bht.post("/incidents", sent)
    assert first.status_code == 201, first.content
    replay = bht.post("/incidents", sent)
    assert replay.status_code == 201
    assert replay.json()["public_id"] == first.json()["public_id"]
    assert Incident.objects.count() == 1
    pid = first.json()["public_id"]
    submitted = bht.post(f"/incidents/{pid}/submit", {})
    assert submitted.json()["status"] == "submitted"
    assert [n["recipient"] for n in submitted.json()["notifications"]] == ["guardian"]
    sup = api_as(world.user("supervisor"))
    assert sup.post(f"/incidents/{pid}/close", {"note": "x"}).status_code == 422
    assert sup.post(f"/incidents/{pid}/review", {"note": "Looking"}).status_code == 200
    addendum = bht.post(f"/incidents/{pid}/addenda", {"reason": "Time", "text": "It was 10:05."})
    assert addendum.status_code == 201
    debrief = sup.post(
        f"/incidents/{pid}/debriefs",
        {
            "kind": "staff",
            "held_at": clock.now().isoformat(),
            "participants": "Shift team",
            "learned": "Hallway crowding at meds.",
        },
    )
    assert debrief.status_code == 201
    closed = sup.post(f"/incidents/{pid}/close", {"note": "Reviewed with team"})
    assert closed.json()["status"] == "closed"
    detail = bht.get(f"/incidents/{pid}").json()
    assert (detail["addenda"], detail["debriefs"]) == (1, 1)
    assert bht.get("/me/exposure").json()["assault"] == 1
    assert sup.get("/me/exposure").json()["assault"] == 0


def test_the_list_pages_and_hides_other_peoples_drafts(world: World) -> None:
    bht = api_as(world.user("bht"))
    for n in range(3):
        created = bht.post("/incidents", body(world, location=f"Room {n}"))
        bht.post(f"/incidents/{created.json()['public_id']}/submit", {})
    bht.post("/incidents", body(world, location="Still a draft"))
    nurse = api_as(world.user("nurse"))
    page = nurse.get("/incidents", {"limit": 2}).json()
    assert len(page["items"]) == 2
    rest = nurse.get("/incidents", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["location"] for i in rest["items"]] == ["Room 2"]
    assert rest["next_cursor"] is None
    assert len(bht.get("/incidents").json()["items"]) == 4
    assert api_as(world.user("outsider")).get("/incidents").json()["items"] == []


def test_bad_input_is_a_clear_422(world: World) -> None:
    bht = api_as(world.user("bht"))
    bad = bht.post("/incidents", body(world, persons=[str(uuid.uuid4())]))
    assert bad.status_code == 422
    assert "person served" in bad.content.decode()
    bad = bht.post("/incidents", body(world, deescalation_steps=["shouting"]))
    assert bad.status_code == 422
    assert not Incident.objects.exists()
