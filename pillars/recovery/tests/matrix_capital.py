"""Permission matrix for recovery capital: a person's history, answering an instrument, one
assessment, the instruments page, and the API. Fixture: one BARC-10 assessment of person A.

Peers record; clinicians, supervisors and the director read; technicians, nurses, the privacy
officer and administrators are refused (403); staff outside the person's scope get 404."""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.models.capital import Assessment, Instrument

BARC = {str(n): 4 for n in range(1, 11)}


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def barc_new(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id, "code": "barc-10"}


def assessment(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["assessment"].public_id}


#                                              bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:capital": Case("GET", "F F A A A A F F N L", person_a),
    "recovery:assessment-new": Case("GET", "F F F A F F F F N L", barc_new),
    "recovery:assessment-detail": Case("GET", "F F A A A A F F N L", assessment),
    "recovery:instrument-list": Case("GET", "F F A A A A F F F L"),
}

#                                        bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/recovery/instruments": Case("GET", "F F A A A A F F F U"),
    "GET /api/v1/recovery/persons/{public_id}/assessments": Case(
        "GET", "F F A A A A F F N U", person_a
    ),
    "POST /api/v1/recovery/persons/{public_id}/assessments": Case(
        "POST",
        "F F F A F F F F N U",
        person_a,
        body=lambda w, who: {"instrument": "barc-10", "answers": dict(BARC)},
    ),
}


def make_assessment(world: World) -> Assessment:
    instrument = Instrument.objects.get(code="barc-10")
    return Assessment.objects.create(
        person=world.person_a,
        instrument=instrument,
        administered_on=clock.organization_today(),
        answers=BARC,
        total=40,
        recorded_by=world.staff["peer"],
        recorded_at=clock.now(),
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["assessment"] = make_assessment(world)


def fuzz_ids(world: World) -> dict[str, str]:
    return {}
