"""Who sees and may do what with persons served, staff and units (DESIGN.md rule 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.people import selectors, services
from pillars.people.models import CaseloadAssignment, PersonServed, Role
from pillars.people.testing import World

# role -> what get_person_for answers for person_a (on unit A) and person_b (on unit B).
PERSON_MATRIX = {
    "bht": ("ok", 404),
    "nurse": ("ok", 404),
    "clinician": ("ok", 404),
    "peer": ("ok", 404),
    "supervisor": ("ok", 404),
    "director": ("ok", "ok"),  # organization-wide
    "privacy": (403, 403),  # sees that records exist (org-wide) but does not read them here
    "admin": (403, 404),  # unit A is the admin's home unit; reading persons is not theirs
    "outsider": (404, "ok"),
}


def user(world: World, role: str) -> Any:
    """The role's user with no actor cached (scope is loaded afresh)."""
    u = world.user(role)
    policy.forget(u)
    return u


def outcome(world: World, role: str, person: PersonServed) -> Any:
    try:
        selectors.get_person_for(user(world, role), person.public_id)
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return "ok"


@pytest.mark.parametrize("role", list(PERSON_MATRIX))
def test_person_visibility_matrix(world: World, role: str) -> None:
    assert world.person_a is not None
    assert world.person_b is not None
    expected_a, expected_b = PERSON_MATRIX[role]
    assert outcome(world, role, world.person_a) == expected_a
    assert outcome(world, role, world.person_b) == expected_b


@pytest.mark.parametrize("role", list(PERSON_MATRIX))
def test_person_list_matches_the_matrix(world: World, role: str) -> None:
    listed = set(selectors.persons_visible_to(user(world, role)))
    expected = {
        p
        for p, want in zip((world.person_a, world.person_b), PERSON_MATRIX[role], strict=True)
        if want == "ok"
    }
    assert listed == expected


def test_reads_and_refusals_are_audited(world: World) -> None:
    assert world.person_a is not None
    selectors.get_person_for(user(world, "bht"), world.person_a.public_id)
    read = AuditEvent.objects.order_by("-seq").first()
    assert read is not None
    assert (read.action, read.outcome, read.purpose) == ("view", "success", "treatment")
    assert read.person_id == world.person_a.public_id
    with pytest.raises(Http404):
        selectors.get_person_for(user(world, "outsider"), world.person_a.public_id)
    refused = AuditEvent.objects.order_by("-seq").first()
    assert refused is not None
    assert (refused.outcome, refused.detail["refusal"]) == ("denied", "not_found")
    assert refused.person_id == world.person_a.public_id


def test_peer_sees_a_caseload_person_on_another_unit(world: World) -> None:
    assert world.person_b is not None
    assert outcome(world, "peer", world.person_b) == 404
    # Made directly: nobody in this world both sees person B and may assign caseloads.
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"],
        person=world.person_b,
        kind="peer",
        started_on=clock.organization_today(),
    )
    assert outcome(world, "peer", world.person_b) == "ok"
    assert world.person_b in set(selectors.persons_visible_to(user(world, "peer")))
    # A BHT on unit A still cannot see person B.
    assert outcome(world, "bht", world.person_b) == 404


def test_supervisor_sees_a_supervisees_caseload(world: World) -> None:
    assert world.person_b is not None
    assert outcome(world, "supervisor", world.person_b) == 404
    assignment = CaseloadAssignment.objects.create(
        staff=world.staff["peer"],
        person=world.person_b,
        kind="peer",
        started_on=clock.organization_today(),
    )
    assert outcome(world, "supervisor", world.person_b) == "ok"
    # An ended assignment no longer opens the record.
    assignment.ended_on = clock.organization_today() - timedelta(days=1)
    assignment.started_on = assignment.ended_on - timedelta(days=10)
    assignment.save()
    assert outcome(world, "supervisor", world.person_b) == 404


def test_a_supervisors_kept_read_turns_with_the_organizations_day(world: World) -> None:
    """A read kept once per reader (``policy.restricted_later``: the board's) is keyed by the
    organization's day, the day a supervisor's scope follows: at the organization's midnight
    (05:00 UTC in June, UTC's date unchanged) it is built afresh, and an assignment that ended
    the day before no longer opens the record."""
    assert world.person_b is not None
    chicago = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
    last_day = date(2027, 6, 10)
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"],
        person=world.person_b,
        kind="peer",
        started_on=last_day - timedelta(days=10),
        ended_on=last_day,
    )

    def seen() -> list[PersonServed]:
        return policy.restricted_later(
            "test: a person, as a supervisor's board reads them",
            user(world, "supervisor"),
            "people.view_person",
            lambda pk: PersonServed.objects.filter(pk=pk),
            world.person_b.pk,
        ).rows()

    before_midnight = datetime.combine(last_day, time(23, 30), chicago)
    after_midnight = before_midnight + timedelta(hours=1)
    assert before_midnight.astimezone(UTC).date() == after_midnight.astimezone(UTC).date()
    with time_machine.travel(before_midnight, tick=False):
        assert seen() == [world.person_b]
    with time_machine.travel(after_midnight, tick=False):
        assert seen() == []


def test_emergency_grant_opens_a_record_until_it_expires(world: World) -> None:
    assert world.person_b is not None
    nurse = user(world, "nurse")
    assert outcome(world, "nurse", world.person_b) == 404
    with time_machine.travel(clock.now(), tick=False) as traveller:
        grant = services.start_emergency_access(
            world.person_b, actor=nurse, reason="Unresponsive in the courtyard", minutes=30
        )
        assert outcome(world, "nurse", world.person_b) == "ok"
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert event.purpose == "emergency"  # the read during the grant is marked as such
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert outcome(world, "nurse", world.person_b) == "ok"
        traveller.shift(timedelta(seconds=1))  # exactly at expiry: closed
        assert clock.now() == grant.expires_at
        assert outcome(world, "nurse", world.person_b) == 404


def test_break_glass_only_for_eligible_roles(world: World) -> None:
    assert world.person_b is not None
    for role in ("bht", "peer", "supervisor", "director", "privacy", "admin"):
        with pytest.raises(PermissionDenied):
            services.start_emergency_access(
                world.person_b, actor=user(world, role), reason="Needed for a safety check"
            )
    with pytest.raises(Exception, match="at least 10 characters"):
        services.start_emergency_access(world.person_b, actor=user(world, "nurse"), reason="x")


def test_role_flag_can_withdraw_break_glass(world: World) -> None:
    Role.objects.filter(code="nurse").update(may_break_glass=False)
    assert not policy.can(user(world, "nurse"), "people.break_glass")
    assert policy.can(user(world, "clinician"), "people.break_glass")


def test_staff_visibility(world: World) -> None:
    outsider = world.staff["outsider"]
    assert not policy.is_visible(user(world, "bht"), outsider)
    assert policy.is_visible(user(world, "outsider"), outsider)  # oneself
    assert policy.is_visible(user(world, "director"), outsider)
    assert policy.is_visible(user(world, "admin"), outsider)
    # A supervisee sees their supervisor, and the supervisor their supervisees.
    assert policy.is_visible(user(world, "peer"), world.staff["supervisor"])
    assert policy.is_visible(user(world, "supervisor"), world.staff["peer"])


def test_employment_and_own_profile_rules(world: World) -> None:
    peer = world.staff["peer"]
    assert policy.can(user(world, "peer"), "people.view_employment", peer)
    assert policy.can(user(world, "admin"), "people.view_employment", peer)
    assert policy.can(user(world, "director"), "people.view_employment", peer)
    assert not policy.can(user(world, "bht"), "people.view_employment", peer)
    assert policy.can(user(world, "peer"), "people.edit_own_profile", peer)
    assert not policy.can(user(world, "admin"), "people.edit_own_profile", peer)


def test_unit_scope(world: World) -> None:
    assert set(selectors.units_visible_to(user(world, "bht"))) == {world.unit_a}
    assert set(selectors.units_visible_to(user(world, "director"))) == {
        world.unit_a,
        world.unit_b,
    }
    with pytest.raises(Http404):
        selectors.get_unit_for(user(world, "bht"), world.unit_b.public_id)
    # A program brings its units into scope.
    world.program.units.add(world.unit_b)
    world.staff["peer"].programs.add(world.program)
    assert world.unit_b in set(selectors.units_visible_to(user(world, "peer")))


def test_exited_staff_have_no_scope(world: World) -> None:
    peer = world.staff["peer"]
    services.exit_staff(
        peer,
        actor=user(world, "admin"),
        exited_on=clock.organization_today(),
        exit_reason="relocated",
    )
    actor = policy.actor_for(user(world, "peer"))
    assert actor.staff_id is None
    assert not actor.roles


def test_emergency_access_reads_but_does_not_write(world: World) -> None:
    assert world.person_b is not None
    services.start_emergency_access(
        world.person_b, actor=user(world, "clinician"), reason="Seizure in the lobby, history?"
    )
    clinician = user(world, "clinician")
    assert policy.can(clinician, "people.view_person", world.person_b)
    for action in ("people.edit_person", "people.transfer", "people.assign_caseload"):
        assert not policy.can(clinician, action, world.person_b)
    with pytest.raises(PermissionDenied):
        services.update_person(world.person_b, actor=clinician, pronouns="he/him")
    # With ordinary scope as well (here: a caseload), the grant takes nothing away.
    CaseloadAssignment.objects.create(
        staff=world.staff["clinician"],
        person=world.person_b,
        kind="clinician",
        started_on=clock.organization_today(),
    )
    assert policy.can(user(world, "clinician"), "people.edit_person", world.person_b)
