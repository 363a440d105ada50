"""Permission matrix for wellbeing. Fixtures: an open invitation and a check-in of the BHT's
(after an assault), so every other role meets a record that is not theirs: 404, as if it did
not exist, administrators and the privacy officer included."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.workforce.models.wellbeing import CheckIn, CheckInInstrument, Invitation

CBI = "cbi-work-client"


def answers(w: World, who: str) -> dict[str, Any]:
    return {"instrument": CBI, "answers": {str(n): 50 for n in range(1, 14)}}


def invitation(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["wb_invitation"].public_id}


def check_in(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["wb_check_in"].public_id}


def instrument(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"code": CBI}


#                                                   bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:wellbeing-mine": Case("GET", "A A A A A A A A A L"),
    "workforce:checkin-new": Case("GET", "A A A A A A A A A L", instrument),
    "workforce:checkin-detail": Case("GET", "A N N N N N N N N L", check_in),
    "workforce:invitation-answer": Case("GET", "A N N N N N N N N L", invitation),
    "workforce:invitation-decline": Case("POST", "A N N N N N N N N L", invitation),
    "workforce:wellbeing-aggregate": Case("GET", "F F F F A A F F F L"),
    "workforce:wellbeing-aggregate-csv": Case("GET", "F F F F F A F F F L"),
    "workforce:exposure-aggregate": Case("GET", "F F F F A A F F F L"),
}

#                                                   bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/me/exposure": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/workforce/check-in-instruments": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/me/invitations": Case("GET", "A A A A A A A A A U"),
    "POST /api/v1/me/invitations/{public_id}/decline": Case(
        "POST", "A N N N N N N N N U", invitation
    ),
    "GET /api/v1/me/check-ins": Case("GET", "A A A A A A A A A U"),
    "POST /api/v1/me/check-ins": Case("POST", "A A A A A A A A A U", body=answers),
    "GET /api/v1/workforce/wellbeing/aggregate": Case("GET", "F F F F A A F F F U"),
}


CANARY_SCORE = 47.123


def fixtures(world: World, extra: dict[str, Any]) -> None:
    from pillars.core import clock
    from pillars.workforce.services import wellbeing as services

    bht = world.staff["bht"]
    event = services.record_exposure(bht.pk, "assault", clock.now(), world.person_a, None)
    extra["wb_invitation"] = Invitation.objects.get(exposure=event)
    instrument = CheckInInstrument.objects.get(code=CBI)
    extra["wb_check_in"] = services.answer_check_in(
        actor=world.user("bht"),
        instrument=instrument,
        answers={str(n): 25 for n in range(1, 14)},
    )
    assert CheckIn.objects.filter(staff=bht).exists()
    # The canary (workforce/tests/test_wellbeing_canary.py): a check-in whose score no other
    # record has. The matrix requests every route as every role and fails when anyone but its
    # owner is answered with its score or its id.
    canary = CheckIn.objects.create(
        staff=bht,
        instrument=instrument,
        answered_at=clock.now(),
        answers={str(n): 75 for n in range(1, 14)},
        scores={"work": CANARY_SCORE, "client": CANARY_SCORE},
        unit=world.unit_a,
        supervisor=bht.supervisor,
    )
    extra.setdefault("canaries", []).append(("bht", [str(CANARY_SCORE), str(canary.public_id)]))


def fuzz_ids(world: World) -> dict[str, str]:
    """The fuzz run signs in as the nurse: an invitation of the nurse's."""
    from pillars.core import clock
    from pillars.workforce.services import wellbeing as services

    nurse = world.staff["nurse"]
    event = services.record_exposure(nurse.pk, "restraint", clock.now(), world.person_b, None)
    return {"/api/v1/me/invitations/": str(Invitation.objects.get(exposure=event).public_id)}
