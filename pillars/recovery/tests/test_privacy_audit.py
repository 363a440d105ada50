"""Privacy audit of the recovery app's side paths: choice lists, related records shown through
another record, the packet's parts, report cells. A person's goal written in a substance-use
(Part 2) program keeps its label after the person moves to an acute unit: the acute unit's team
must not see it (no consent), not in a choice list, an encounter's or a referral's page, nor in
a packet sent to an outside organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.people import consents
from pillars.people import services as people_services
from pillars.people.models import PersonServed, Staff
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.recovery.models.plans import Goal
from pillars.recovery.models.referrals import Referral, ReferralOutcomeReason
from pillars.recovery.selectors import referrals as referral_selectors
from pillars.recovery.services import encounters as encounter_services
from pillars.recovery.services import plans as plan_services
from pillars.recovery.services import referrals as referral_services
from pillars.recovery.tests.test_referrals import _client, fresh, refer, service

pytestmark = pytest.mark.django_db

SECRET_GOAL = "Stay off opioids and keep my methadone appointments"


@dataclass
class Moved:
    person: PersonServed
    goal: Goal
    sud_peer: Staff


@pytest.fixture
def moved(world: World) -> Moved:
    """A person whose goal was written in the Part 2 program, then moved to unit A (where the
    world's peer and clinician work; no consent)."""
    sud, beds = make_unit(world.site, "sud", part2=True)
    peer = make_staff("t-sud-peer", [RoleCode.PEER], [sud])
    nurse = make_staff("t-sud-nurse", [RoleCode.NURSE], [sud])
    person = make_person("MRN-S9", "Delgado")
    episode = place(person, sud, beds[0], peer)
    with clock.replaying_at(clock.now() - timedelta(hours=3)):
        goal = plan_services.create_goal(
            person, actor=peer.user, domain="health", statement=SECRET_GOAL
        )
    people_services.transfer_person(
        episode,
        actor=nurse.user,
        unit=world.unit_a,
        bed=world.beds_a[1],
        moved_at=clock.now() - timedelta(hours=2),
        reason="Medical stabilization",
    )
    assert goal.is_part2
    return Moved(person, goal, peer)


def test_the_referral_form_does_not_offer_a_part2_goal_outside_the_team(
    world: World, moved: Moved
) -> None:
    assert not policy.is_visible(policy.actor_for(fresh(world.user("peer"))), moved.goal)
    page = _client(world.staff["peer"]).get(
        reverse("recovery:referral-new", args=[moved.person.public_id, service().public_id])
    )
    assert page.status_code == 200
    assert SECRET_GOAL[:40] not in page.content.decode()
    assert str(moved.goal.public_id) not in page.content.decode()


def test_the_referral_api_refuses_a_part2_goal_outside_the_team(world: World, moved: Moved) -> None:
    api = api_as(world.user("peer"))
    body = {
        "person": str(moved.person.public_id),
        "service": str(service().public_id),
        "reason": "Housing",
        "goal": str(moved.goal.public_id),
    }
    answer = api.post("/referrals", body)
    assert answer.status_code == 422, answer.content


def _consent_to_peer(world: World, moved: Moved, **over: Any) -> Any:
    """The person's consent letting unit A's peer read their recovery records from the Part 2
    program (and nobody outside Pillars)."""
    unit = moved.goal.made_in_unit
    assert unit is not None
    today = clock.today_in(unit.time_zone)
    fields: dict[str, Any] = {
        "programs": [unit],
        "information_kinds": ["recovery"],
        "information_description": "My recovery goals.",
        "purposes": ["treatment"],
        "recipients": [{"kind": "staff", "staff": world.staff["peer"]}],
        "expires_on": today + timedelta(days=90),
        "signed_by": "person",
        "signer_name": "Alex Delgado",
        "signed_on": today,
    } | over
    return consents.record_consent(moved.person, actor=world.user("privacy"), **fields)


def test_a_part2_goal_in_a_packet_needs_a_consent_naming_the_organization(
    world: World, moved: Moved
) -> None:
    """The peer may read the goal (a consent names them), but the packet carries the goal's
    words to Harbor Housing, which no consent names: refused, nothing sent."""
    _consent_to_peer(world, moved)
    peer = fresh(world.user("peer"))
    assert policy.is_visible(policy.actor_for(peer), moved.goal)
    seen = referral_services.preview(moved.person, actor=peer, service=service(), goal=moved.goal)
    assert seen.part2
    assert not seen.may_send
    with pytest.raises(ValidationError):
        referral_services.refer(
            moved.person,
            actor=fresh(world.user("peer")),
            service=service("Jobs", "Works"),
            reason="Housing",
            goal=moved.goal,
        )
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_part2_goal_in_a_packet_leaves_with_the_notice_under_the_organizations_consent(
    world: World, moved: Moved
) -> None:
    _consent_to_peer(
        world,
        moved,
        recipients=[
            {"kind": "staff", "staff": world.staff["peer"]},
            {"kind": "entity", "name": "Harbor Housing"},
        ],
    )
    made = referral_services.refer(
        moved.person,
        actor=fresh(world.user("peer")),
        service=service(),
        reason="Housing",
        goal=moved.goal,
    )
    export = AuditEvent.objects.get(action="export", object_type="recovery.referral_packet")
    assert export.category == "part2"
    assert export.detail["notice"] is True
    assert export.detail["disclosure"] == ["consent"]
    released = referral_services.release_packet(made, actor=fresh(world.user("peer")), fmt="print")
    assert released.notice


def test_after_revocation_the_goal_is_not_shown_through_an_encounter_or_a_referral(
    world: World, moved: Moved
) -> None:
    """Written while a consent let the peer read the goal; the revocation is effective for every
    later disclosure, including the goal's words on the encounter's and the referral's pages
    (records of unit A that the team still reads)."""
    consent = _consent_to_peer(world, moved)
    encounter = encounter_services.record_encounter(
        moved.person,
        actor=fresh(world.user("peer")),
        modality="in_person",
        setting="unit",
        started_at=clock.now() - timedelta(minutes=30),
        minutes=20,
        what_was_done="Talked about the week ahead.",
        goal=moved.goal,
        credential="CPS",
    )
    referral = referral_services.log_outside(
        moved.person,
        actor=fresh(world.user("peer")),
        organization="Neighborhood Legal Aid",
        reason="Landlord dispute",
        goal=moved.goal,
    )
    assert not encounter.is_part2
    assert not referral.is_part2
    consents.revoke_consent(consent, actor=world.user("privacy"), received_as="letter")
    client = _client(world.staff["peer"])
    for url in (
        reverse("recovery:encounter-detail", args=[encounter.public_id]),
        reverse("recovery:referral", args=[referral.public_id]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert SECRET_GOAL[:40] not in page.content.decode(), url
    api = api_as(world.user("peer"))
    shown = api.get(f"/encounters/{encounter.public_id}")
    assert shown.status_code == 200
    assert str(moved.goal.public_id) not in shown.content.decode()


def test_the_outcomes_report_hides_a_small_cell_inside_a_shown_row(world: World) -> None:
    """Six referrals to one service: five cancelled, one not accepted. The row is big enough to
    show, but "not accepted: 1" is a group of one, and with the row's total shown the cancelled
    cell gives it back (6 - 5): both are hidden, on the page too."""
    to = service()
    full = ReferralOutcomeReason.objects.get(code="service-full")
    for n in range(6):
        made = refer(world, to)
        if n == 0:
            referral_services.update_status(
                made, actor=world.user("peer"), status="rejected", outcome_reason=full
            )
        else:
            referral_services.update_status(
                made, actor=world.user("peer"), status="cancelled", note=str(n)
            )
    report = referral_selectors.outcomes(world.user("supervisor"))
    [row] = report["by_service"]
    assert not row.hidden
    assert row.total == 6
    assert sorted(c for c in row.cells if c is not None) == [0] * (len(row.cells) - 2)
    page = _client(world.staff["supervisor"]).get(reverse("recovery:referral-outcomes"))
    assert page.status_code == 200
    cells = page.content.decode().split("Housing help (Harbor Housing)")[1].split("</tr>")[0]
    assert "<td>1</td>" not in cells
    assert "<td>5</td>" not in cells


PART2_NOTE = "Went to my first meeting at the methadone clinic"


def test_a_progress_note_written_in_the_part2_program_is_not_shown_with_the_goal(
    world: World,
) -> None:
    """The goal was set on unit A; the person spent some hours in the Part 2 program, where a
    progress note was written (labelled Part 2); back on unit A, the team reads the goal but
    not that note (no consent), on the page and in the API."""
    sud, beds = make_unit(world.site, "sud", part2=True)
    sud_peer = make_staff("t-sud-peer", [RoleCode.PEER], [sud])
    sud_nurse = make_staff("t-sud-nurse", [RoleCode.NURSE], [sud])
    person = world.person_a
    episode = person.episodes.get()
    now = clock.now()
    with clock.replaying_at(now - timedelta(hours=6)):
        goal = plan_services.create_goal(
            person, actor=world.user("peer"), domain="health", statement="Walk every day"
        )
    people_services.transfer_person(
        episode,
        actor=world.user("nurse"),
        unit=sud,
        bed=beds[0],
        moved_at=now - timedelta(hours=5),
    )
    with clock.replaying_at(now - timedelta(hours=3)):
        note = plan_services.record_goal_progress(goal, actor=sud_peer.user, note=PART2_NOTE)
    people_services.transfer_person(
        episode,
        actor=sud_nurse.user,
        unit=world.unit_a,
        bed=world.beds_a[0],
        moved_at=now - timedelta(hours=1),
    )
    assert note.is_part2
    assert not goal.is_part2
    page = _client(world.staff["peer"]).get(reverse("recovery:goal-detail", args=[goal.public_id]))
    assert page.status_code == 200
    assert PART2_NOTE not in page.content.decode()
    api = api_as(world.user("peer"))
    listed = api.get(f"/recovery/persons/{person.public_id}/goals")
    assert listed.status_code == 200, listed.content
    assert "Walk every day" in listed.content.decode()
    assert PART2_NOTE not in listed.content.decode()


def test_an_encounter_refuses_a_part2_goal_its_writer_may_not_read(
    world: World, moved: Moved
) -> None:
    """Behind the form and the API, the service itself: unit A's peer cannot tie a note (alone
    or for a group) to the goal written in the program, whose words the note would show."""
    from pillars.recovery.models.encounters import Encounter
    from pillars.recovery.tests.test_encounters_services import write

    with pytest.raises(ValidationError) as refused:
        write(world, person=moved.person, goal=moved.goal)
    assert "goal" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        encounter_services.record_group(
            [encounter_services.Attendee(person=moved.person, attended=True, goal=moved.goal)],
            actor=world.user("peer"),
            topic="Budgeting",
            modality="in_person",
            setting="unit",
            started_at=clock.now() - timedelta(hours=1),
            minutes=45,
            what_was_done="We made a budget together.",
            activities=["coaching-goals"],
            credential="CPS",
        )
    assert "attendees" in refused.value.message_dict
    assert not Encounter.objects.filter(person=moved.person).exists()
