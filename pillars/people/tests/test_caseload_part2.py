"""A caseload assignment made in a substance-use program keeps the program's label (42 CFR
Part 2, DESIGN.md rule 6): being on a recovery peer's caseload there tells that the person is
in treatment, so after a transfer the receiving unit sees neither the assignment nor a count
that reveals it, while the program's team still reads and moves it, and every limit counts it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_of
from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.roles import RoleCode
from pillars.people import services as people_services
from pillars.people.choices import CaseloadKind
from pillars.people.models import CaseloadAssignment, Episode, PersonServed, Staff, Unit
from pillars.people.selectors import team_of
from pillars.people.testing import PersonFactory, World, make_person, make_staff, make_unit, place
from pillars.recovery.selectors.matching import caseload_room
from pillars.workforce.selectors import caseloads as caseload_selectors
from pillars.workforce.services.caseloads import reassign_caseload

pytestmark = pytest.mark.django_db


@dataclass
class Program:
    sud: Unit
    supervisor: Staff
    peer: Staff
    nurse: Staff
    person: PersonServed
    episode: Episode
    assignment: CaseloadAssignment


def _program(world: World) -> Program:
    """A person admitted to the substance-use program two days ago, put on the program's peer's
    recovery caseload there from yesterday by the peer supervisor, then transferred to acute
    unit A now."""
    sud, beds = make_unit(world.site, "sud", part2=True)
    supervisor = make_staff("sud-supervisor", [RoleCode.SUPERVISOR], [sud])
    peer = make_staff("sud-peer", [RoleCode.PEER], [sud], supervisor=supervisor)
    nurse = make_staff("sud-nurse", [RoleCode.NURSE], [sud])
    person = make_person("MRN-C1", "Delgado")
    episode = place(person, sud, beds[0], nurse)
    assignment = people_services.assign_caseload(
        actor=supervisor.user,
        staff=peer,
        person=person,
        kind=CaseloadKind.PEER,
        started_on=clock.organization_today() - timedelta(days=1),
    )
    people_services.transfer_person(
        episode,
        actor=nurse.user,
        unit=world.unit_a,
        bed=world.beds_a[1],
        moved_at=clock.now(),
        reason="Medical stabilization",
    )
    return Program(sud, supervisor, peer, nurse, person, episode, assignment)


def _caseload_section(body: str) -> str:
    start = body.index('id="caseload"')
    return body[start : body.index("</section>", start)]


def test_an_assignment_made_in_the_program_keeps_its_label(world: World) -> None:
    made = _program(world)
    made.assignment.refresh_from_db()
    assert (made.assignment.made_in_unit_id, made.assignment.is_part2) == (made.sud.pk, True)
    # What unit A assigns after the transfer is unit A's.
    later = people_services.assign_caseload(
        actor=world.user("nurse"),
        staff=world.staff["bht"],
        person=made.person,
        kind=CaseloadKind.PRIMARY_TECH,
    )
    assert (later.made_in_unit_id, later.is_part2) == (world.unit_a.pk, False)


def test_the_person_page_hides_the_program_assignment_from_the_receiving_nurse(
    world: World, signed_in: Any
) -> None:
    made = _program(world)
    url = reverse("people:person-detail", args=[made.person.public_id])
    nurse = signed_in("nurse")
    assert policy.is_visible(world.user("nurse"), made.person)
    page = nurse.get(url)
    assert page.status_code == 200
    section = _caseload_section(page.content.decode())
    assert "Sud Peer" not in section
    assert "Nobody has this person on their caseload now." in section
    # Nor can the nurse end it: the assignment does not exist for them.
    end = reverse("people:caseload-end", args=[made.assignment.public_id])
    assert nurse.post(end, {"ended_on": clock.organization_today().isoformat()}).status_code == 404
    made.assignment.refresh_from_db()
    assert made.assignment.ended_on is None


def test_the_program_peer_supervisor_sees_and_ends_the_assignment(world: World) -> None:
    made = _program(world)
    client = client_of(made.supervisor)
    url = reverse("people:person-detail", args=[made.person.public_id])
    section = _caseload_section(client.get(url).content.decode())
    assert "Sud Peer" in section
    end = reverse("people:caseload-end", args=[made.assignment.public_id])
    today = clock.organization_today()
    assert client.post(end, {"ended_on": today.isoformat()}).status_code == 302
    made.assignment.refresh_from_db()
    assert made.assignment.ended_on == today


def test_an_emergency_grant_opens_the_assignment_and_logs_the_disclosure(
    world: World, signed_in: Any
) -> None:
    made = _program(world)
    people_services.start_emergency_access(
        made.person, actor=world.user("nurse"), reason="Unresponsive, need the full history"
    )
    policy.forget(world.user("nurse"))
    url = reverse("people:person-detail", args=[made.person.public_id])
    section = _caseload_section(signed_in("nurse").get(url).content.decode())
    assert "Sud Peer" in section
    assert AuditEvent.objects.filter(
        object_type="people.caseloadassignment", object_id="part2-disclosure"
    ).exists()


def test_the_person_page_reads_its_caseload_in_one_query(world: World, signed_in: Any) -> None:
    made = _program(world)
    url = reverse("people:person-detail", args=[made.person.public_id])
    client = signed_in("nurse")
    client.get(url)  # the first request builds the reads kept for the next ones
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    caseload_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and 'FROM "people_caseloadassignment"' in q["sql"]
    ]
    assert len(caseload_reads) == 1, caseload_reads


def test_the_balance_and_reassignment_pages_hide_it_from_a_balancer_outside(
    world: World,
) -> None:
    made = _program(world)
    director = world.staff[RoleCode.DIRECTOR]
    reassign = reverse("workforce:caseload-reassign", args=[made.peer.public_id])
    outside = client_of(director).get(reassign)
    assert outside.status_code == 200
    assert "Delgado" not in outside.content.decode()
    counts = {
        r.kind: r.count
        for r in caseload_selectors.balance_for(director.user, what="test")
        if r.staff.pk == made.peer.pk
    }
    assert counts == {CaseloadKind.PEER: 0}
    # The program's peer supervisor balances the same caseload with the person on it.
    inside = client_of(made.supervisor).get(reassign)
    assert "Delgado" in inside.content.decode()
    counts = {
        r.kind: r.count
        for r in caseload_selectors.balance_for(made.supervisor.user, what="test")
        if r.staff.pk == made.peer.pk
    }
    assert counts == {CaseloadKind.PEER: 1}


def test_the_caseload_limit_counts_the_assignment_the_balancer_cannot_see(world: World) -> None:
    made = _program(world)
    today = clock.organization_today()
    # Fourteen more persons: with the program's person the peer carries 15, the limit.
    for person in PersonFactory.create_batch(14):
        CaseloadAssignment.objects.create(
            staff=made.peer, person=person, kind=CaseloadKind.PEER, started_on=today
        )
    assert caseload_room(made.peer, today) == 0
    director = world.staff[RoleCode.DIRECTOR].user
    shown = [
        r
        for r in caseload_selectors.balance_for(director, what="test")
        if r.staff.pk == made.peer.pk
    ]
    assert [(r.count, r.limit) for r in shown] == [(14, 15)]
    moving = CaseloadAssignment.objects.create(
        staff=world.staff["peer"],
        person=world.person_a,
        kind=CaseloadKind.PEER,
        started_on=today - timedelta(days=3),
    )
    with pytest.raises(ValidationError) as refused:
        reassign_caseload(
            world.staff["peer"],
            actor=director,
            moves=[(moving, made.peer)],
            reason="rebalance",
            note="Spreading the caseloads out.",
        )
    assert "over the limit" in str(refused.value.message_dict["moves"])


def test_a_reassignment_by_the_program_keeps_the_label(world: World) -> None:
    made = _program(world)
    other = make_staff("sud-peer-two", [RoleCode.PEER], [made.sud], supervisor=made.supervisor)
    handover = reassign_caseload(
        made.peer,
        actor=made.supervisor.user,
        moves=[(made.assignment, other)],
        reason="leave",
        note="Sam is on leave for two weeks.",
    )
    moved = handover.assignments.get()
    assert (moved.staff_id, moved.made_in_unit_id, moved.is_part2) == (
        other.pk,
        made.sud.pk,
        True,
    )
    # The receiving unit's nurse does not see the moved assignment either.
    assert not policy.is_visible(world.user("nurse"), moved)


def test_the_migration_labels_assignments_written_before_labels(world: World) -> None:
    made = _program(world)
    later = people_services.assign_caseload(
        actor=world.user("nurse"),
        staff=world.staff["bht"],
        person=made.person,
        kind=CaseloadKind.PRIMARY_TECH,
    )
    CaseloadAssignment.objects.update(made_in_unit=None, is_part2=False)
    migration = importlib.import_module("pillars.people.migrations.0011_caseload_part2_labels")
    migration.label(apps, None)
    made.assignment.refresh_from_db()
    later.refresh_from_db()
    assert (made.assignment.made_in_unit_id, made.assignment.is_part2) == (made.sud.pk, True)
    assert (later.made_in_unit_id, later.is_part2) == (world.unit_a.pk, False)


def test_a_count_a_grant_opened_is_logged_as_a_disclosure(world: World) -> None:
    made = _program(world)
    nurse = world.user("nurse")
    today = clock.organization_today()
    assert [r.count for r in caseload_selectors.caseload_rows([made.peer], today, user=nurse)] == [
        0
    ]
    people_services.start_emergency_access(
        made.person, actor=nurse, reason="Unresponsive, need the full history"
    )
    policy.forget(nurse)
    disclosures = AuditEvent.objects.filter(
        object_type="people.caseloadassignment", object_id="part2-disclosure"
    )
    assert not disclosures.exists()
    rows = caseload_selectors.caseload_rows([made.peer], today, user=nurse)
    assert [r.count for r in rows] == [1]
    assert disclosures.count() == 1
    # The persons of the open assignments, as the reassignment page lists them.
    shown = caseload_selectors.open_assignments(made.peer, today, user=nurse)
    assert [a.person_id for a in shown] == [made.person.pk]


def test_the_team_panel_counts_what_its_reader_may_read(world: World) -> None:
    made = _program(world)

    def counts(user: Any) -> dict[int, int]:
        team = team_of(user, made.supervisor.pk)
        return {m.pk: m.caseload_count for m in team}  # type: ignore[attr-defined]

    assert counts(made.supervisor.user)[made.peer.pk] == 1
    assert counts(world.user(RoleCode.DIRECTOR))[made.peer.pk] == 0
