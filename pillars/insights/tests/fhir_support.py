"""Shared pieces of the FHIR export tests: records of every exported kind, a bearer client
that speaks the Bulk Data headers, and a reader that validates what it downloads."""

from __future__ import annotations

import importlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.test import Client

from pillars.core import clock
from pillars.core.tokens import create_token
from pillars.incidents.services import behavior as behavior_services
from pillars.incidents.tests.matrix_safety import make_versions
from pillars.people.testing import World
from pillars.recovery.hsds import sample
from pillars.recovery.hsds.importer import write
from pillars.recovery.hsds.package import Package
from pillars.recovery.tests.matrix_capital import make_assessment
from pillars.recovery.tests.matrix_encounters import make_records
from pillars.recovery.tests.matrix_plans import make_goal, make_plan
from pillars.recovery.tests.matrix_referrals import make_referral
from pillars.rounds.models import ObservationLevel
from pillars.rounds.services import orders as order_services

HEADERS = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


def resource_class(kind: str) -> Any:
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    return getattr(module, kind)


@dataclass
class Records:
    """One of each exported kind, for person A."""

    order: Any
    check: Any
    assessment: Any
    plan: Any
    abc: Any
    safety: Any
    wellness: Any
    goal: Any
    referral: Any
    encounter: Any


def build_records(world: World) -> Records:
    nurse = world.user("nurse")
    with clock.replaying_at(clock.now() - timedelta(minutes=20)):
        order = order_services.order_observation(
            world.person_a,
            actor=nurse,
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Said he might hurt himself",
            precautions=["suicide", "elopement"],
        )
    check = order_services.record_check(
        order,
        actor=nurse,
        observed_at=clock.now() - timedelta(minutes=2),
        location="dayroom",
        activity="talking",
        safety_status="safe",
        client_id=uuid.uuid4(),
        note="Playing cards",
    )
    plan = behavior_services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.today_in(world.unit_a.time_zone),  # person A's unit's day
        targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"}],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    abc = behavior_services.record_behavior(
        world.person_a,
        actor=nurse,
        target=plan.targets.get(),
        observed_at=clock.now() - timedelta(minutes=5),
        antecedent="Peer conflict",
        consequence="Offered space",
        client_id=uuid.uuid4(),
    )
    safety, _ = make_versions(world)
    wellness, _ = make_plan(world)
    goal, _ = make_goal(world)
    referral = make_referral(world)
    referral.goal = goal
    referral.save(update_fields=["goal"])
    encounter, _ = make_records(world)
    # A directory with ordinary places and a confidential shelter (the importer's sample).
    write(Package(tables=sample.rows(6)))
    return Records(
        order=order,
        check=check,
        assessment=make_assessment(world),
        plan=plan,
        abc=abc,
        safety=safety,
        wellness=wellness,
        goal=goal,
        referral=referral,
        encounter=encounter,
    )


def bearer(world: World, role: Any) -> Client:
    user = world.user(role) if isinstance(role, str) else role
    _, secret = create_token(user, name="fhir", scopes=["read"], days=1)
    return Client(headers={"Authorization": f"Bearer {secret}", **HEADERS})


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def download(client: Client, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every output and error file of a manifest, each line parsed and validated with its R4B
    model; by resource type."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in [*manifest["output"], *manifest["error"]]:
        response: Any = client.get(path_of(entry["url"]))
        assert response.status_code == 200, entry
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == entry["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == entry["type"]
            resource_class(entry["type"]).model_validate(resource)
            found.setdefault(entry["type"], []).append(resource)
    return found


def references(value: Any) -> set[str]:
    """Every literal reference in a resource."""
    if isinstance(value, dict):
        refs = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        for item in value.values():
            refs |= references(item)
        return refs
    if isinstance(value, list):
        out: set[str] = set()
        for item in value:
            out |= references(item)
        return out
    return set()


def unresolved(found: dict[str, list[dict[str, Any]]]) -> set[str]:
    held = {f"{kind}/{r['id']}" for kind, items in found.items() for r in items}
    refs: set[str] = set()
    for items in found.values():
        for resource in items:
            refs |= references(resource)
    return refs - held
