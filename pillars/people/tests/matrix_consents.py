"""Permission matrix for Part 2 consents and the accounting of disclosures: the pages and the
API. Fixtures: a Part 2 program (unit "m-sud") and a consent of person A covering it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.consent_models import Consent, ConsentRecipient
from pillars.people.models import Unit
from pillars.people.testing import World, make_unit

SUD = "m-sud"


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def consent(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["consent"].public_id}


def _consent_body(w: World, who: str) -> dict[str, Any]:
    return {
        "programs": [str(Unit.objects.get(code=SUD).public_id)],
        "information_kinds": ["safety_plan"],
        "information_description": "The safety plan and its versions.",
        "purposes": ["tpo"],
        "recipients": [{"kind": "treating"}],
        "expires_on": (clock.now() + timedelta(days=90)).date().isoformat(),
        "signed_by": "person",
        "signer_name": "Alex Rivera",
        "signed_on": (clock.now() - timedelta(days=2)).date().isoformat(),
    }


#                                                bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "people:consent-index": Case("GET", "F F F F F F A F F L"),
    "people:consent-list": Case("GET", "A A A A A A A F N L", person_a),
    # Only a Part 2 program's team (none in this world) or the privacy officer records one.
    "people:consent-create": Case("GET", "F F F F F F A F N L", person_a),
    "people:consent-detail": Case("GET", "A A A A A A A F N L", consent),
    "people:consent-print": Case("GET", "A A A A A A A F N L", consent),
    "people:consent-revoke": Case("GET", "F A A F F F A F N L", consent),
    "people:consent-expiry-event": Case("GET", "F A A F F F A F N L", consent),
    "people:disclosure-accounting": Case("GET", "F F F F F F A F N L", person_a),
    "people:disclosure-accounting-print": Case("GET", "F F F F F F A F N L", person_a),
}

#                                                       bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/persons/{public_id}/consents": Case("GET", "A A A A A A A F N U", person_a),
    "POST /api/v1/persons/{public_id}/consents": Case(
        "POST", "F F F F F F A F N U", person_a, body=_consent_body
    ),
    "GET /api/v1/consents/{public_id}": Case("GET", "A A A A A A A F N U", consent),
    "POST /api/v1/consents/{public_id}/revoke": Case(
        "POST",
        "F A A F F F A F N U",
        consent,
        body=lambda w, who: {"received_as": "letter", "note": "Letter handed to the nurse"},
    ),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    sud, _ = make_unit(world.site, SUD, part2=True, beds=0)
    now = clock.now()
    made = Consent.objects.create(
        person=world.person_a,
        information_kinds=["safety_plan"],
        information_description="The safety plan.",
        purposes=["tpo"],
        expires_on=(now + timedelta(days=60)).date(),
        expiry_event="Discharge from the program",
        signed_by="person",
        signer_name="Alex Rivera",
        signed_on=(now - timedelta(days=1)).date(),
        recorded_by=world.staff["nurse"],
        recorded_at=now,
    )
    made.programs.set([sud])
    ConsentRecipient.objects.create(consent=made, kind="treating")
    extra["consent"] = made


def fuzz_ids(world: World) -> dict[str, str]:
    """A consent the fuzz run's nurse can reach, so generated requests get past the lookup."""
    extra: dict[str, Any] = {}
    existing = Consent.objects.filter(person=world.person_a).first()
    if existing is None:
        fixtures(world, extra)
        existing = extra["consent"]
    return {"/api/v1/consents/": str(existing.public_id)}
