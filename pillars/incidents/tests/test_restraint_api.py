"""The restraint API: an episode from start to release, replays, bad input (422, nothing
stored), the 24-hour rule, the unit list with timers, and HBIPS per unit and month."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import RestraintEpisode
from pillars.people.models import Placement
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def test_episode_through_the_api(world: World) -> None:
    nurse = api_as(world.user("nurse"))
    path = f"/persons/{world.person_a.public_id}/restraint"
    bad = nurse.post(path, {"kind": "seclusion", "reason": "", "release_criteria": "Calm"})
    assert_problem(bad, 422)
    assert RestraintEpisode.objects.count() == 0
    key = str(uuid.uuid4())
    body = {
        "kind": "physical_hold",
        "reason": "Hit staff",
        "release_criteria": "Calm",
        "ordered_by": str(world.staff["clinician"].public_id),
    }
    first = nurse.post(path, body, headers={"Idempotency-Key": key})
    again = nurse.post(path, body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    assert again.json() == first.json()
    assert RestraintEpisode.objects.count() == 1
    data = first.json()
    assert data["orders"][0]["limit_minutes"] == 240
    assert [t["key"] for t in data["timers"]] == ["order", "face_to_face", "monitoring"]
    episode = data["public_id"]
    bht = api_as(world.user("bht"))
    checked = bht.post(f"/restraint/{episode}/checks", {"condition": "Calm"})
    assert checked.status_code == 201
    assert len(checked.json()["checks"]) == 1
    assert_problem(bht.post(f"/restraint/{episode}/release", {"reason": "Calm"}), 403)
    seen = nurse.post(f"/restraint/{episode}/face-to-face", {"findings": "Calmer"})
    assert seen.json()["face_to_face_done_at"] is not None
    listed = bht.get(f"/units/{world.unit_a.public_id}/restraint")
    assert [e["public_id"] for e in listed.json()] == [episode]
    released = nurse.post(f"/restraint/{episode}/release", {"reason": "Met criteria"})
    assert released.status_code == 200
    assert released.json()["released_at"] is not None
    assert released.json()["timers"] == []
    assert bht.get(f"/units/{world.unit_a.public_id}/restraint").json() == []


def test_hbips_api(world: World) -> None:
    now = clock.now()
    Placement.objects.filter(unit=world.unit_a).update(started_at=now - timedelta(days=40))
    api = api_as(world.user("director"))
    rows = api.get("/reports/hbips", {"year": now.year, "month": now.month}).json()
    assert {r["unit_name"] for r in rows} >= {"Unit A", "Unit B"}
    assert all(r["month"] == now.month for r in rows)
    assert_problem(api_as(world.user("bht")).get("/reports/hbips"), 403)
