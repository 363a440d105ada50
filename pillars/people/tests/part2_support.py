"""A person served with a Part 2 history: admitted to a substance-use program (unit "sud"),
with rounds, an incident, a behavior plan and ABC data and a safety plan written there, then
transferred to acute unit A. Used by the label, consent and export tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.incidents.models import BehaviorPlan, BehaviorRecord, Incident, SafetyPlanVersion
from pillars.incidents.services import behavior as behavior_services
from pillars.incidents.services import incidents as incident_services
from pillars.incidents.services import safety as safety_services
from pillars.incidents.services.incidents import IncidentDetails
from pillars.people import services as people_services
from pillars.people.models import Episode, PersonServed, Staff, Unit
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder
from pillars.rounds.services import orders as order_services

SAFETY = {
    "warning_signs": [{"text": "I stop answering my phone"}],
    "on_my_own": [{"text": "Walk around the block"}],
    "people_places": [{"text": "The recovery cafe"}],
    "ask_for_help": [{"name": "My sponsor Sam", "phone": "555-010-4455"}],
    "professionals": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988"}],
    "safer_surroundings": [{"text": "No alcohol at home"}],
    "reasons": [{"text": "My daughter"}],
}
TARGETS = [
    {
        "name": "Leaving the unit",
        "definition": "Walking past the unit door without staff, for any length of time.",
        "measure": "frequency",
    }
]


@dataclass
class Part2Story:
    world: World
    sud: Unit
    person: PersonServed
    episode: Episode
    sud_nurse: Staff
    sud_clinician: Staff
    sud_director: Staff
    order: ObservationOrder
    check: Check
    incident: Incident
    plan: BehaviorPlan
    record: BehaviorRecord
    safety: SafetyPlanVersion

    def user(self, key: str) -> Any:
        staff = {
            "sud_nurse": self.sud_nurse,
            "sud_clinician": self.sud_clinician,
            "sud_director": self.sud_director,
        }.get(key)
        return staff.user if staff is not None else self.world.user(key)


def check_now(order: ObservationOrder, actor: Any) -> Check:
    return order_services.record_check(
        order,
        actor=actor,
        observed_at=clock.now(),
        location="dayroom",
        activity="talking",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )


def build_story(world: World) -> Part2Story:
    """Everything written in the Part 2 program, then the transfer to unit A."""
    sud, beds = make_unit(world.site, "sud", part2=True)
    nurse = make_staff("sud-nurse", [RoleCode.NURSE], [sud])
    clinician = make_staff("sud-clinician", [RoleCode.CLINICIAN], [sud])
    director = make_staff("sud-director", [RoleCode.DIRECTOR], [sud])
    person = make_person("MRN-S1", "Delgado")
    episode = place(person, sud, beds[0], nurse)
    # Written an hour ago, in the program; the transfer is now.
    with clock.replaying_at(clock.now() - timedelta(hours=1)):
        level = ObservationLevel.objects.get(code="q15", is_current=True)
        order = order_services.order_observation(
            person, actor=nurse.user, level=level, reason="Withdrawal watch on admission"
        )
        check = check_now(order, nurse.user)
        incident = incident_services.create_draft(
            sud,
            IncidentDetails(
                type="elopement",
                occurred_at=clock.now() - timedelta(minutes=30),
                location="Front door",
                narrative="Tried to leave to buy alcohol; came back with staff after a talk.",
                persons=[person],
                staff_involved=[nurse],
                steps=incident_services.steps_by_code(["verbal"]),
            ),
            actor=nurse.user,
        )
        incident = incident_services.submit_incident(incident, actor=nurse.user)
        plan = behavior_services.write_plan(
            person,
            actor=clinician.user,
            effective_on=clock.today_in(sud.time_zone),
            targets=TARGETS,
        )
        record = behavior_services.record_behavior(
            person,
            actor=nurse.user,
            target=plan.targets.get(),
            observed_at=clock.now() - timedelta(minutes=2),
            antecedent="Craving",
            consequence="Talked it through",
            client_id=uuid.uuid4(),
        )
        draft = safety_services.save_draft(
            person,
            actor=clinician.user,
            content=SAFETY,
            review_on=clock.today_in("America/Chicago") + timedelta(days=30),
        )
        safety = safety_services.sign_plan(
            draft, actor=clinician.user, person_signature="tablet", typed_name="Alex Delgado"
        )
    people_services.transfer_person(
        episode,
        actor=nurse.user,
        unit=world.unit_a,
        bed=world.beds_a[1],
        moved_at=clock.now() - timedelta(seconds=1),
        reason="Medical stabilization",
    )
    return Part2Story(
        world,
        sud,
        person,
        episode,
        nurse,
        clinician,
        director,
        order,
        check,
        incident,
        plan,
        record,
        safety,
    )
