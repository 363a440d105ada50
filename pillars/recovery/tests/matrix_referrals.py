"""Permission matrix for referrals: a person's referrals, choosing a service, the preview and
sending, logging an outside referral, one referral, its status, reopening, the packet (page and
PDF), open referrals, the outcomes report and the API. Fixtures: a directory service and a
referral of person A to it, sent by the peer (unit A holds no Part 2 program, so no consent is
needed)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.models.directory import HsdsOrganization, HsdsService
from pillars.recovery.models.referrals import Referral
from pillars.recovery.services import referrals as services


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def person_service(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id, "service_id": extra["ref_service"].public_id}


def referral(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["referral"].public_id}


def _create_body(w: World, who: str) -> dict[str, Any]:
    return {
        "person": str(w.person_a.public_id),
        "organization": "Eastside Food Pantry",
        "reason": "Groceries each week",
    }


#                                      bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:referral-list": Case("GET", "F F A A A A F F F L"),
    "recovery:referral-outcomes": Case("GET", "F F F F A A F F F L"),
    "recovery:person-referrals": Case("GET", "F F A A A A F F N L", person_a),
    "recovery:referral-choose": Case("GET", "F F A A F F F F N L", person_a),
    "recovery:referral-new": Case("GET", "F F A A F F F F N L", person_service),
    "recovery:referral-log": Case("GET", "F F A A F F F F N L", person_a),
    "recovery:referral": Case("GET", "F F A A A A F F N L", referral),
    "recovery:referral-status": Case("GET", "F F A A F F F F N L", referral),
    "recovery:referral-reopen": Case("GET", "F F A A F F F F N L", referral),
    "recovery:referral-packet": Case("GET", "F F A A F F F F N L", referral),
    "recovery:referral-packet-pdf": Case("GET", "F F A A F F F F N L", referral),
}

#                                                  bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/referrals": Case("GET", "F F A A A A F F F U"),
    "POST /api/v1/referrals": Case("POST", "F F A A F F F F N U", body=_create_body),
    "GET /api/v1/referrals/{public_id}": Case("GET", "F F A A A A F F N U", referral),
    "POST /api/v1/referrals/{public_id}/status": Case(
        "POST",
        "F F A A F F F F N U",
        referral,
        body=lambda w, who: {"status": "received", "note": "They called back"},
    ),
}


def make_referral(world: World) -> Referral:
    org = HsdsOrganization.objects.create(name="Harbor Housing")
    service = HsdsService.objects.create(organization=org, name="Housing help", status="active")
    return services.refer(
        world.person_a,
        actor=world.user("peer"),
        service=service,
        reason="A safe place to live",
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    made = make_referral(world)
    extra["referral"] = made
    extra["ref_service"] = made.service


def fuzz_ids(world: World) -> dict[str, str]:
    found = Referral.objects.filter(person=world.person_a).first()
    if found is None:
        found = make_referral(world)
    return {"/api/v1/referrals/": str(found.public_id)}
