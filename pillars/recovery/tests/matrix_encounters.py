"""Permission matrix for peer encounters: the peer's day, writing (one person, a group), the
encounter page, addendum and void, the scope-guard check, video sessions and the API.
Fixtures: an encounter the peer wrote for person A and a video session with a link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.models import Encounter, VirtualSession


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def encounter(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["encounter"].public_id}


def session(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["video_session"].public_id}


def _encounter_body(w: World, who: str) -> dict[str, Any]:
    return {
        "person": str(w.person_a.public_id),
        "modality": "in_person",
        "setting": "unit",
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "minutes": 30,
        "activities": ["coaching-goals"],
        "what_was_done": "Talked through the week ahead and what helps on hard days.",
        "credential": "CPS",
    }


#                                          bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:my-day": Case("GET", "F F A A A A F F F L"),
    "recovery:encounter-new": Case("GET", "F F F A F F F F N L", person_a),
    "recovery:encounter-group-new": Case("GET", "F F F A F F F F F L"),
    "recovery:encounter-check": Case("POST", "F F F A A F F F F L"),
    "recovery:encounter-detail": Case("GET", "F F A A A A F F N L", encounter),
    "recovery:encounter-addendum": Case("GET", "F F F A F F F F N L", encounter),
    "recovery:encounter-void": Case("GET", "F F F A A F F F N L", encounter),
    "recovery:session-list": Case("GET", "F F A A A A F F F L"),
    "recovery:session-new": Case("GET", "F F F A F F F F N L", person_a),
    "recovery:session-detail": Case("GET", "F F A A A A F F N L", session),
    "recovery:session-sent": Case("POST", "F F F A F F F F N L", session),
    "recovery:session-record": Case("GET", "F F F A F F F F N L", session),
}

#                                                        bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/encounters": Case("GET", "F F A A A A F F F U"),
    "POST /api/v1/encounters": Case("POST", "F F F A F F F F N U", body=_encounter_body),
    "GET /api/v1/encounters/{public_id}": Case("GET", "F F A A A A F F N U", encounter),
    "POST /api/v1/encounters/{public_id}/addenda": Case(
        "POST",
        "F F F A F F F F N U",
        encounter,
        body=lambda w, who: {"reason": "Time was wrong", "text": "It started at 10:15."},
    ),
    "POST /api/v1/encounters/language-check": Case(
        "POST",
        "F F F A A F F F F U",
        body=lambda w, who: {"what_was_done": "The patient was non-compliant."},
    ),
}


def make_records(world: World) -> tuple[Encounter, VirtualSession]:
    now = clock.now()
    peer = world.staff["peer"]
    enc = Encounter.objects.create(
        person=world.person_a,
        modality="in_person",
        setting="unit",
        started_at=now - timedelta(hours=2),
        minutes=30,
        what_was_done="Walked to the library together.",
        written_by=peer,
        signed_at=now,
        signer_credential="CPS",
        recorded_at=now,
    )
    video = VirtualSession.objects.create(
        person=world.person_a,
        peer=peer,
        scheduled_at=now + timedelta(hours=3),
        minutes_planned=30,
        join_url="https://video.example.org/room/matrix",
        created_by=peer,
        created_at=now,
    )
    return enc, video


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["encounter"], extra["video_session"] = make_records(world)


def fuzz_ids(world: World) -> dict[str, str]:
    enc = Encounter.objects.filter(person=world.person_a).first()
    if enc is None:
        enc, _ = make_records(world)
    return {"/api/v1/encounters/": str(enc.public_id)}
