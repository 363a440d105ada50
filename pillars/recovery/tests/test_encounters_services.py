"""Peer encounters: signing, billing units (the 8-minute rule at its edges), the goal a billing
program needs, replay by client id, addenda, voids, groups, video sessions, the scope guard and
who may read what."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import CaseloadAssignment, Program
from pillars.people.testing import World, make_person, make_staff, place
from pillars.recovery.models import (
    Encounter,
    EncounterAddendum,
    EncounterFlag,
    Goal,
    PeerServiceRule,
    ScopeGuardTerm,
    VirtualSession,
)
from pillars.recovery.selectors import encounters as selectors
from pillars.recovery.services import encounters as services

pytestmark = pytest.mark.django_db


def write(world: World, role: str = "peer", **over: Any) -> Encounter:
    fields: dict[str, Any] = {
        "modality": "in_person",
        "setting": "unit",
        "started_at": clock.now() - timedelta(hours=1),
        "minutes": 30,
        "what_was_done": "We walked to the library and looked at job listings together.",
        "purpose": "Alex wants part-time work by spring.",
        "activities": ["coaching-goals", "resource-navigation"],
        "credential": "CPS",
    }
    fields.update(over)
    person = fields.pop("person", world.person_a)
    return services.record_encounter(person, actor=world.user(role), **fields)


def billing(world: World, bills: bool = True) -> PeerServiceRule:
    world.program.units.add(world.unit_a)
    return PeerServiceRule.objects.create(
        program=world.program,
        bills_peer_services=bills,
        service_code="H0038",
        video_url_template="https://video.example.org/room/{session}",
    )


def goal(world: World, person: Any = None) -> Goal:
    return Goal.objects.create(
        person=person or world.person_a,
        domain="work",
        statement="Find part-time work",
        created_by=world.staff["peer"],
        created_at=clock.now(),
    )


def test_record_signs_with_credential_and_audits(world: World) -> None:
    enc = write(world, written_with_person=True)
    assert enc.status == "signed"
    assert enc.signer_credential == "CPS"
    assert enc.written_by == world.staff["peer"]
    assert enc.signed_at is not None
    assert enc.billing_units is None
    assert enc.service_code == ""
    assert sorted(a.code for a in enc.activities.all()) == ["coaching-goals", "resource-navigation"]
    assert enc.written_with_person
    assert enc.made_in_unit == world.unit_a
    event = AuditEvent.objects.get(object_id=str(enc.public_id), action="create")
    assert event.detail["credential"] == "CPS"
    assert event.detail["minutes"] == 30


def test_credential_defaults_to_job_title_and_is_required(world: World) -> None:
    peer = world.staff["peer"]
    with pytest.raises(ValidationError) as exc:
        write(world, credential="")
    assert "credential" in exc.value.message_dict
    assert not Encounter.objects.exists()
    peer.job_title = "Certified Peer Specialist"
    peer.save()
    assert write(world, credential="").signer_credential == "Certified Peer Specialist"


def test_bad_input_stores_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        write(
            world,
            modality="carrier pigeon",
            minutes=0,
            what_was_done=" ",
            activities=["diagnosing"],
            started_at=clock.now() + timedelta(hours=2),
        )
    errors = exc.value.message_dict
    assert {"modality", "minutes", "what_was_done", "activities", "started_at"} <= set(errors)
    assert not Encounter.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "units"),
    [(1, 0), (7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4)],
)
def test_eight_minute_rule(minutes: int, units: int) -> None:
    rule = PeerServiceRule(unit_minutes=15, first_unit_minimum_minutes=8)
    assert rule.units_for(minutes) == units


def test_unit_rule_is_data() -> None:
    # A payer that wants the whole first unit: 15 minutes before anything is billed.
    rule = PeerServiceRule(unit_minutes=15, first_unit_minimum_minutes=15)
    assert [rule.units_for(m) for m in (14, 15, 29, 30)] == [0, 1, 1, 2]


def test_billing_program_needs_a_goal(world: World) -> None:
    billing(world)
    with pytest.raises(ValidationError) as exc:
        write(world, minutes=23)
    assert "goal" in exc.value.message_dict
    assert not Encounter.objects.exists()
    enc = write(world, minutes=23, goal=goal(world))
    assert (enc.billing_units, enc.service_code) == (2, "H0038")
    assert enc.program == world.program


def test_under_the_first_unit_needs_no_goal(world: World) -> None:
    billing(world)
    enc = write(world, minutes=7)
    assert enc.billing_units == 0
    assert enc.goal is None


def test_goal_must_be_the_persons(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        write(world, goal=goal(world, person=world.person_b))
    assert "goal" in exc.value.message_dict


def test_replayed_client_id_returns_the_first(world: World) -> None:
    key = uuid.uuid4()
    first = write(world, client_id=key)
    again = write(world, client_id=key, minutes=45)
    assert again.pk == first.pk
    assert Encounter.objects.count() == 1
    assert AuditEvent.objects.filter(object_id=str(first.public_id), action="create").count() == 1


def test_client_id_of_another_person_conflicts(world: World) -> None:
    key = uuid.uuid4()
    write(world, client_id=key)
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    with pytest.raises(Conflict):
        write(world, client_id=key, person=other)


def test_addendum_keeps_the_original(world: World) -> None:
    enc = write(world)
    add = services.add_addendum(
        enc, actor=world.user("peer"), reason="Wrong library", text="It was the Elm St branch."
    )
    enc.refresh_from_db()
    assert enc.what_was_done.startswith("We walked to the library")
    assert add.written_by == world.staff["peer"]
    assert add.reason == "Wrong library"
    assert AuditEvent.objects.filter(object_id=str(add.public_id), action="create").exists()
    with pytest.raises(ValidationError):
        services.add_addendum(enc, actor=world.user("peer"), reason="", text="x")
    with pytest.raises(PermissionDenied):  # only the author adds an addendum
        services.add_addendum(enc, actor=world.user("supervisor"), reason="r", text="t")
    assert EncounterAddendum.objects.count() == 1


def test_void_with_reason_by_author_or_supervisor(world: World) -> None:
    enc = write(world)
    with pytest.raises(ValidationError):
        services.void_encounter(enc, actor=world.user("peer"), reason=" ")
    voided = services.void_encounter(enc, actor=world.user("supervisor"), reason="Wrong person")
    assert voided.is_void
    assert voided.void_reason == "Wrong person"
    assert voided.voided_by == world.staff["supervisor"]
    assert AuditEvent.objects.filter(object_id=str(enc.public_id), action="void").exists()
    with pytest.raises(Conflict):
        services.void_encounter(voided, actor=world.user("peer"), reason="again")
    with pytest.raises(Conflict):
        services.add_addendum(voided, actor=world.user("peer"), reason="r", text="t")


def test_scope_guard_marks_and_keeps_flags(world: World) -> None:
    flags = services.check_language(
        {
            "what_was_done": "The patient was non-compliant and said he should take his meds.",
            "purpose": "He is an addict with a high risk score.",
            "next_steps": "Meet Tuesday at the library.",
        }
    )
    found = {(f.field, f.term) for f in flags}
    assert ("what_was_done", "patient") in found
    assert ("what_was_done", "non-compliant") in found
    assert any(f.category == "medication" for f in flags)
    assert ("purpose", "addict") in found
    assert ("purpose", "risk score") in found
    assert not any(f.field == "next_steps" for f in flags)
    # Whole words only: "patiently" and "outpatient" are not the label.
    assert services.check_language({"purpose": "She waited patiently at the outpatient desk"}) == []
    enc = write(world, what_was_done="Talked with the patient about non-compliance.")
    kept = list(EncounterFlag.objects.filter(encounter=enc).values_list("term", "category"))
    assert ("patient", "clinical_label") in kept
    assert ("non-compliant", "deficit") in kept


def test_word_list_is_data(world: World) -> None:
    ScopeGuardTerm.objects.create(
        term="frequent flyer", category="deficit", suggestion="someone we see often"
    )
    assert [f.term for f in services.check_language({"purpose": "A Frequent  Flyer here"})] == [
        "frequent flyer"
    ]
    ScopeGuardTerm.objects.filter(term="patient").update(is_active=False)
    assert services.check_language({"purpose": "the patient"}) == []


def test_group_session_one_record_per_attendee(world: World) -> None:
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    group = services.record_group(
        [
            services.Attendee(world.person_a, True, "Shared a poem about her garden."),
            services.Attendee(other, False, "Will ask about Thursday's group."),
        ],
        actor=world.user("peer"),
        topic="Hope and routines",
        modality="in_person",
        setting="unit",
        started_at=clock.now() - timedelta(hours=1),
        minutes=45,
        what_was_done="Mutual-support group on daily routines that help.",
        activities=["mutual-support-group"],
        credential="CPS",
    )
    came, missed = (
        Encounter.objects.get(group=group, person=world.person_a),
        Encounter.objects.get(group=group, person=other),
    )
    assert came.attended
    assert came.person_response == "Shared a poem about her garden."
    assert came.minutes == 45
    assert [a.code for a in came.activities.all()] == ["mutual-support-group"]
    assert not missed.attended
    assert missed.minutes == 0
    assert missed.next_steps == "Will ask about Thursday's group."


def test_group_refuses_a_person_out_of_scope(world: World) -> None:
    with pytest.raises(Http404):
        services.record_group(
            [services.Attendee(world.person_b, True, "")],
            actor=world.user("peer"),
            topic="Hope",
            modality="in_person",
            setting="unit",
            started_at=clock.now(),
            minutes=30,
            what_was_done="Group",
            credential="CPS",
        )
    assert not Encounter.objects.exists()


def test_video_session_link_and_record(world: World) -> None:
    billing(world, bills=False)
    session = services.schedule_virtual_session(
        world.person_a,
        actor=world.user("peer"),
        scheduled_at=clock.now() + timedelta(hours=1),
        minutes_planned=30,
    )
    assert session.join_url == f"https://video.example.org/room/{session.public_id}"
    sent = services.mark_link_sent(session, actor=world.user("peer"))
    assert sent.link_sent_at is not None
    enc = write(world, modality="video", setting="virtual", virtual_session=sent)
    session.refresh_from_db()
    assert session.status == "completed"
    assert enc.virtual_session == session
    with pytest.raises(ValidationError):
        write(world, modality="video", setting="virtual", virtual_session=session)


def test_who_reads(world: World) -> None:
    enc = write(world)
    for role in ("peer", "supervisor", "clinician", "director"):
        assert selectors.get_encounter_for(world.user(role), enc.public_id, what="t") == enc
    for role in ("bht", "nurse", "privacy"):
        with pytest.raises(PermissionDenied):
            selectors.get_encounter_for(world.user(role), enc.public_id, what="t")
    with pytest.raises(Http404):
        selectors.get_encounter_for(world.user("outsider"), enc.public_id, what="t")
    assert list(selectors.encounters_visible_to(world.user("bht"))) == []
    assert list(selectors.encounters_visible_to(world.user("supervisor"))) == [enc]


def test_peer_outside_caseload_gets_404(world: World) -> None:
    # A peer on unit B with nobody on their caseload.
    away = make_staff("t-peer-b", ["peer"], [world.unit_b])
    enc = write(world)
    with pytest.raises(Http404):
        selectors.get_encounter_for(away.user, enc.public_id, what="t")
    with pytest.raises(Http404):
        write(world, role="peer", person=world.person_b)
    # Caseload brings the person into scope.
    CaseloadAssignment.objects.create(
        staff=away, person=world.person_a, kind="peer", started_on=clock.organization_today()
    )
    policy.forget(away.user)
    assert selectors.get_encounter_for(away.user, enc.public_id, what="t") == enc


def test_supervisor_reads_only_supervisees(world: World) -> None:
    other_peer = make_staff("t-peer-2", ["peer"], [world.unit_a])
    theirs = write(world)
    unsupervised = services.record_encounter(
        world.person_a,
        actor=other_peer.user,
        modality="phone",
        setting="community",
        started_at=clock.now() - timedelta(hours=2),
        minutes=10,
        what_was_done="Phone check-in about the bus pass.",
        credential="CRS",
    )
    assert list(selectors.encounters_visible_to(world.user("supervisor"))) == [theirs]
    with pytest.raises(PermissionDenied):
        selectors.get_encounter_for(world.user("supervisor"), unsupervised.public_id, what="t")
    assert Program.objects.count() == 1
    assert VirtualSession.objects.count() == 0
