"""Permission matrix for shift assignments, monitoring exceptions and 1:1 coverage.

Fixtures: two persons of our own on unit A (no bed, so no clash with other areas' beds), one on
q15 with an open monitoring exception, one on 2:1 with the nurse already covering; a shift
assignment of person_a to the BHT; and a q15 order of a third person to start exceptions on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.models import PersonServed
from pillars.people.testing import World, make_person, place
from pillars.rounds.models import (
    Coverage,
    MonitoringException,
    ObservationLevel,
    ObservationOrder,
    ShiftAssignment,
)


def _kw(key: str) -> Any:
    return lambda w, e: {"public_id": e[key].public_id}


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


#                                         bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:assign": Case("GET", "F A F F A F F F N L", unit_a),
    "rounds:assignment-reassign": Case("GET", "F A F F A F F F N L", _kw("cov_assignment")),
    "rounds:exception-start": Case("GET", "A A A F F F F F N L", _kw("cov_q15_order")),
    "rounds:exception-end": Case("GET", "A A A F F F F F N L", _kw("cov_exception")),
    "rounds:coverage": Case("GET", "A A A A A A F F N L", unit_a),
    "rounds:coverage-start": Case("GET", "A A F F F F F F N L", _kw("cov_two_to_one")),
    "rounds:coverage-relieve": Case("GET", "A A F F F F F F N L", _kw("cov_coverage")),
    "rounds:coverage-end": Case("GET", "A A F F F F F F N L", _kw("cov_coverage")),
}


def _next_shift(w: World, who: str) -> dict[str, Any]:
    start = clock.now() + timedelta(hours=12)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=12)).isoformat(),
        "lead": str(w.staff["nurse"].public_id),
        "parts": [{"staff": str(w.staff["bht"].public_id), "persons": [str(w.person_a.public_id)]}],
    }


API: dict[str, Case] = {
    "GET /api/v1/units/{public_id}/assignments": Case("GET", "A A A A A A F F N U", unit_a),
    "POST /api/v1/units/{public_id}/assignments": Case(
        "POST", "F A F F A F F F N U", unit_a, body=_next_shift
    ),
    "POST /api/v1/assignments/{public_id}/reassign": Case(
        "POST",
        "F A F F A F F F N U",
        _kw("cov_assignment"),
        body=lambda w, who: {"to_staff": str(w.staff["nurse"].public_id)},
    ),
    "POST /api/v1/orders/{public_id}/exceptions": Case(
        "POST",
        "A A A F F F F F N U",
        _kw("cov_q15_order"),
        body=lambda w, who: {"kind": "refused", "reason": "Asked to be left alone"},
    ),
    "POST /api/v1/exceptions/{public_id}/end": Case(
        "POST", "A A A F F F F F N U", _kw("cov_exception"), body=lambda w, who: {"note": "Back"}
    ),
    "GET /api/v1/units/{public_id}/coverage": Case("GET", "A A A A A A F F N U", unit_a),
    "POST /api/v1/orders/{public_id}/coverage": Case(
        "POST",
        "A A F F F F F F N U",
        _kw("cov_two_to_one"),
        body=lambda w, who: {"staff": str(w.staff["bht"].public_id)},
    ),
    # Only the staff member with the person (the nurse, in these fixtures) signs a relief.
    "POST /api/v1/coverage/{public_id}/relieve": Case(
        "POST",
        "F V F F F F F F N U",
        _kw("cov_coverage"),
        body=lambda w, who: {"incoming_staff": str(w.staff["bht"].public_id), "incoming_pin": "1"},
    ),
}


def _person(w: World, record: str) -> PersonServed:
    person = make_person(record, f"Cover{record[-1]}")
    place(person, w.unit_a, None, w.staff["nurse"])
    return person


def _order(w: World, person: PersonServed, code: str) -> ObservationOrder:
    now = clock.now()
    return ObservationOrder.objects.create(
        person=person,
        episode=person.episodes.get(),
        level=ObservationLevel.objects.get(code=code, is_current=True),
        reason="matrix",
        ordered_by=w.staff["nurse"],
        started_at=now - timedelta(minutes=30),
        recorded_at=now,
        due_at=now - timedelta(minutes=30),
    )


def _records(w: World, prefix: str) -> dict[str, Any]:
    now = clock.now()
    nurse = w.staff["nurse"]
    paused = _order(w, _person(w, f"{prefix}-1"), "q15")
    paused.paused_at, paused.due_at = now - timedelta(minutes=10), None
    paused.save(update_fields=["paused_at", "due_at"])
    two = _order(w, _person(w, f"{prefix}-2"), "two-to-one")
    return {
        "cov_q15_order": _order(w, _person(w, f"{prefix}-3"), "q15"),
        "cov_exception": MonitoringException.objects.create(
            order=paused,
            kind="in_session",
            reason="Family session",
            started_at=paused.paused_at,
            started_by=nurse,
            recorded_at=now,
        ),
        "cov_two_to_one": two,
        "cov_coverage": Coverage.objects.create(
            order=two, staff=nurse, started_at=now, started_by=nurse, recorded_at=now
        ),
        "cov_assignment": ShiftAssignment.objects.create(
            unit=w.unit_a,
            staff=w.staff["bht"],
            kind="person",
            person=w.person_a,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=11),
            assigned_by=nurse,
            recorded_at=now,
        ),
    }


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra.update(_records(world, "MRN-COVM"))


def fuzz_ids(world: World) -> dict[str, str]:
    made = _records(world, "MRN-COVF")
    return {
        "/api/v1/assignments/": str(made["cov_assignment"].public_id),
        "/api/v1/exceptions/": str(made["cov_exception"].public_id),
        "/api/v1/coverage/": str(made["cov_coverage"].public_id),
    }
