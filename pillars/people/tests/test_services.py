"""People services: each write checks policy, validates, and audits in its own transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.people import selectors, services
from pillars.people.models import (
    CaseloadAssignment,
    Episode,
    PersonServed,
    Placement,
    Staff,
    Unit,
)
from pillars.people.testing import World, make_person, make_staff


def person_a(world: World) -> PersonServed:
    assert world.person_a is not None
    return world.person_a


def person_b(world: World) -> PersonServed:
    assert world.person_b is not None
    return world.person_b


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


# --- Persons ----------------------------------------------------------------------------------


def test_create_person_admits_and_audits_both(world: World) -> None:
    nurse = world.user("nurse")
    person = services.create_person(
        actor=nurse,
        record_number="MRN-9",
        legal_given_name="Sam",
        legal_family_name="Lee",
        date_of_birth=date(2001, 2, 3),
        unit=world.unit_a,
        bed=world.beds_a[1],
    )
    placement = selectors.current_placement(person)
    assert placement is not None
    assert placement.bed == world.beds_a[1]
    events = list(AuditEvent.objects.filter(person_id=person.public_id).order_by("seq"))
    assert [e.action for e in events] == ["create", "create"]
    assert events[0].object_type == "people.personserved"
    assert events[0].detail["changes"]["record_number"] == {"old": None, "new": "MRN-9"}
    assert events[1].object_type == "people.episode"
    assert events[1].detail["event"] == "admit"


def test_create_person_rolls_back_when_the_bed_is_taken(world: World) -> None:
    before = PersonServed.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_person(
            actor=world.user("nurse"),
            record_number="MRN-9",
            legal_given_name="Sam",
            legal_family_name="Lee",
            date_of_birth=date(2001, 2, 3),
            unit=world.unit_a,
            bed=world.beds_a[0],  # person_a's bed
        )
    assert "occupied" in str(exc.value.message_dict["bed"])
    assert (PersonServed.objects.count(), AuditEvent.objects.count()) == before


def test_create_person_rejects_bad_input(world: World) -> None:
    tomorrow = clock.organization_today() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.create_person(
            actor=world.user("nurse"),
            record_number="MRN-A1",
            legal_given_name=" ",
            legal_family_name="Lee",
            date_of_birth=tomorrow,
        )
    errors = exc.value.message_dict
    assert set(errors) == {"record_number", "legal_given_name", "date_of_birth"}
    assert not PersonServed.objects.filter(legal_family_name="Lee").exists()


def test_create_person_is_refused_to_a_bht(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.create_person(
            actor=world.user("bht"),
            record_number="MRN-9",
            legal_given_name="Sam",
            legal_family_name="Lee",
            date_of_birth=date(2001, 2, 3),
        )


def test_update_person_audits_old_and_new(world: World) -> None:
    person = services.update_person(
        person_a(world), actor=world.user("nurse"), preferred_name="Lex", pronouns="they/them"
    )
    assert person.display_name == "Lex Rivera"
    event = last_event()
    assert event.action == "update"
    assert event.detail["changes"]["preferred_name"] == {"old": "", "new": "Lex"}
    assert event.person_id == person.public_id


def test_update_person_out_of_scope_is_404(world: World) -> None:
    with pytest.raises(Http404):
        services.update_person(person_b(world), actor=world.user("nurse"), pronouns="he/him")
    person_b(world).refresh_from_db()
    assert person_b(world).pronouns == ""


# --- Admit, transfer, discharge ---------------------------------------------------------------


def test_admit_into_free_bed(world: World) -> None:
    person = make_person("MRN-N", "Ngata")
    episode = services.admit_person(
        person, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[2]
    )
    assert episode.is_open
    assert Placement.objects.current().get(episode=episode).bed == world.beds_a[2]
    event = last_event()
    assert (event.action, event.object_id) == ("create", str(episode.public_id))
    assert event.detail["unit"] == "a"


def test_admit_into_occupied_bed_stores_nothing(world: World) -> None:
    person = make_person("MRN-N", "Ngata")
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.admit_person(
            person, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[0]
        )
    assert "occupied" in exc.value.message_dict["bed"][0]
    assert not Episode.objects.filter(person=person).exists()
    assert AuditEvent.objects.count() == count


def test_admit_with_a_bed_on_another_unit_is_refused(world: World) -> None:
    person = make_person("MRN-N", "Ngata")
    with pytest.raises(ValidationError) as exc:
        services.admit_person(
            person, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_b[1]
        )
    assert "is not on Unit A" in exc.value.message_dict["bed"][0]
    assert not Episode.objects.filter(person=person).exists()


def test_admit_twice_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="already admitted"):
        services.admit_person(person_a(world), actor=world.user("nurse"), unit=world.unit_a)


def test_admit_to_a_unit_out_of_scope_is_404_and_bht_is_403(world: World) -> None:
    person = make_person("MRN-N", "Ngata")
    with pytest.raises(Http404):
        services.admit_person(person, actor=world.user("nurse"), unit=world.unit_b)
    with pytest.raises(PermissionDenied):
        services.admit_person(person, actor=world.user("bht"), unit=world.unit_a)
    assert not Episode.objects.filter(person=person).exists()


def test_admit_in_the_future_is_refused(world: World) -> None:
    person = make_person("MRN-N", "Ngata")
    with pytest.raises(ValidationError) as exc:
        services.admit_person(
            person,
            actor=world.user("nurse"),
            unit=world.unit_a,
            admitted_at=clock.now() + timedelta(hours=1),
        )
    assert "future" in exc.value.message_dict["admitted_at"][0]


def _episode(person: PersonServed) -> Episode:
    return Episode.objects.open().get(person=person)


def test_transfer_closes_and_opens_at_the_same_moment(world: World) -> None:
    moment = clock.now() - timedelta(hours=1)
    episode = _episode(person_a(world))
    old = Placement.objects.current().get(episode=episode)
    new = services.transfer_person(
        episode,
        actor=world.user("nurse"),
        unit=world.unit_a,
        bed=world.beds_a[3],
        moved_at=moment,
        reason="quieter room",
    )
    old.refresh_from_db()
    assert old.ended_at == moment == new.started_at
    assert Placement.objects.current().get(episode=episode) == new
    event = last_event()
    assert event.detail["event"] == "transfer"
    assert event.detail["changes"]["bed"] == {"old": "A100-A", "new": "A101-B"}


def test_transfer_into_an_occupied_bed_stores_nothing(world: World) -> None:
    other = make_person("MRN-N", "Ngata")
    services.admit_person(other, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[1])
    episode = _episode(person_a(world))
    with pytest.raises(ValidationError, match="occupied"):
        services.transfer_person(
            episode, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[1]
        )
    current = Placement.objects.current().get(episode=episode)
    assert current.bed == world.beds_a[0]
    assert current.ended_at is None


def test_transfer_with_a_bed_on_another_unit_is_refused(world: World) -> None:
    episode = _episode(person_a(world))
    with pytest.raises(ValidationError, match="is not on Unit A"):
        services.transfer_person(
            episode, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_b[2]
        )
    assert Placement.objects.current().get(episode=episode).bed == world.beds_a[0]


def test_transfer_to_where_they_are_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="where the person is now"):
        services.transfer_person(
            _episode(person_a(world)),
            actor=world.user("nurse"),
            unit=world.unit_a,
            bed=world.beds_a[0],
        )


def test_census_is_exact_around_a_transfer_boundary(world: World) -> None:
    moment = clock.now() - timedelta(hours=1)
    services.transfer_person(
        _episode(person_a(world)),
        actor=world.user("nurse"),
        unit=world.unit_b,
        bed=world.beds_b[1],
        moved_at=moment,
    )

    def on(unit: Unit, at: datetime) -> set[PersonServed]:
        return {p.episode.person for p in selectors.census_at(unit, at)}

    just_before = moment - timedelta(microseconds=1)
    assert person_a(world) in on(world.unit_a, just_before)
    assert person_a(world) not in on(world.unit_b, just_before)
    # At the boundary the person is on the new unit only: never counted twice, never missing.
    assert person_a(world) not in on(world.unit_a, moment)
    assert person_a(world) in on(world.unit_b, moment)
    later = moment + timedelta(minutes=30)
    assert on(world.unit_b, later) == {person_a(world), person_b(world)}
    assert on(world.unit_a, later) == set()


def test_discharge_closes_episode_and_placement(world: World) -> None:
    episode = _episode(person_a(world))
    moment = clock.now() - timedelta(minutes=10)
    services.discharge_person(
        episode, actor=world.user("nurse"), disposition="home", discharged_at=moment
    )
    episode.refresh_from_db()
    assert episode.discharged_at == moment
    assert episode.disposition == "home"
    assert not Placement.objects.current().filter(episode=episode).exists()
    assert last_event().detail == {
        "event": "discharge",
        "discharged_at": moment.isoformat(),
        "disposition": "home",
        "channel": "command",
    }
    assert person_a(world) not in {
        p.episode.person for p in selectors.census_at(world.unit_a, moment)
    }
    assert person_a(world) in {
        p.episode.person
        for p in selectors.census_at(world.unit_a, moment - timedelta(microseconds=1))
    }


def test_discharge_twice_is_refused(world: World) -> None:
    # The clinician keeps the person on caseload, so still sees them after discharge (the unit's
    # staff do not: the second attempt would be a 404 for them).
    services.assign_caseload(
        actor=world.user("clinician"),
        staff=world.staff["clinician"],
        person=person_a(world),
        kind="clinician",
    )
    episode = _episode(person_a(world))
    services.discharge_person(episode, actor=world.user("nurse"), disposition="home")
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="already been discharged"):
        services.discharge_person(episode, actor=world.user("clinician"), disposition="other")
    assert AuditEvent.objects.count() == count
    with pytest.raises(Http404):
        services.discharge_person(episode, actor=world.user("bht"), disposition="other")


def test_discharge_needs_a_disposition_and_a_sane_time(world: World) -> None:
    episode = _episode(person_a(world))
    with pytest.raises(ValidationError, match="disposition"):
        services.discharge_person(episode, actor=world.user("nurse"), disposition="moon")
    with pytest.raises(ValidationError, match="after the last move"):
        services.discharge_person(
            episode,
            actor=world.user("nurse"),
            disposition="home",
            discharged_at=episode.admitted_at - timedelta(hours=1),
        )
    assert _episode(person_a(world)).is_open


def test_readmission_after_discharge(world: World) -> None:
    episode = _episode(person_a(world))
    services.discharge_person(
        episode,
        actor=world.user("nurse"),
        disposition="home",
        discharged_at=clock.now() - timedelta(hours=2),
    )
    with pytest.raises(ValidationError, match="before the last discharge"):
        services.admit_person(
            person_a(world),
            actor=world.user("nurse"),
            unit=world.unit_a,
            admitted_at=clock.now() - timedelta(hours=3),
        )
    again = services.admit_person(person_a(world), actor=world.user("nurse"), unit=world.unit_a)
    assert again.is_open
    assert Episode.objects.filter(person=person_a(world)).count() == 2


# --- Caseloads --------------------------------------------------------------------------------


def test_assign_and_end_caseload(world: World) -> None:
    peer = world.staff["peer"]
    assignment = services.assign_caseload(
        actor=world.user("supervisor"), staff=peer, person=person_a(world), kind="peer"
    )
    event = last_event()
    assert event.action == "create"
    assert event.object_id == str(assignment.public_id)
    assert event.detail["changes"]["kind"] == {"old": None, "new": "peer"}
    with pytest.raises(ValidationError, match="already on"):
        services.assign_caseload(
            actor=world.user("supervisor"), staff=peer, person=person_a(world), kind="peer"
        )
    services.end_caseload(assignment, actor=world.user("supervisor"))
    assignment.refresh_from_db()
    assert assignment.ended_on == clock.organization_today()
    assert last_event().detail["changes"]["ended_on"]["old"] is None
    with pytest.raises(ValidationError, match="already ended"):
        services.end_caseload(assignment, actor=world.user("supervisor"))


def test_assign_caseload_to_staff_out_of_sight_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.assign_caseload(
            actor=world.user("nurse"),
            staff=world.staff["outsider"],
            person=person_a(world),
            kind="primary_tech",
        )
    assert "staff" in exc.value.message_dict
    assert not CaseloadAssignment.objects.exists()


def test_assign_caseload_refused_to_bht_and_out_of_scope(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.assign_caseload(
            actor=world.user("bht"), staff=world.staff["peer"], person=person_a(world), kind="peer"
        )
    with pytest.raises(Http404):
        services.assign_caseload(
            actor=world.user("nurse"),
            staff=world.staff["peer"],
            person=person_b(world),
            kind="peer",
        )


# --- Staff ------------------------------------------------------------------------------------


def test_create_staff_makes_account_and_audits(world: World) -> None:
    staff = services.create_staff(
        actor=world.user("admin"),
        username="New.Peer",
        display_name="New Peer",
        hired_on=date(2025, 3, 1),
        roles=["peer"],
        home_units=[world.unit_a],
        supervisor=world.staff["supervisor"],
        languages=["English", "Spanish"],
    )
    assert staff.user.username == "new.peer"
    assert not staff.user.has_usable_password()
    assert staff.role_codes() == ["peer"]
    event = last_event()
    assert event.action == "create"
    assert event.detail["changes"]["roles"]["new"] == ["peer"]
    assert event.detail["changes"]["home_units"]["new"] == ["a"]


def test_create_staff_reports_every_problem_at_once(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_staff(
            actor=world.user("admin"),
            username="t-bht",
            display_name="",
            hired_on=date(2025, 3, 1),
            roles=["wizard"],
        )
    assert set(exc.value.message_dict) == {"username", "display_name", "roles"}
    assert Staff.objects.count() == 9


def test_create_staff_only_by_admin(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.create_staff(
            actor=world.user("director"),
            username="x",
            display_name="X",
            hired_on=date(2025, 1, 1),
            roles=["bht"],
        )


def test_update_staff_refuses_a_supervision_loop(world: World) -> None:
    supervisor = world.staff["supervisor"]
    with pytest.raises(ValidationError) as exc:
        services.update_staff(supervisor, actor=world.user("admin"), supervisor=world.staff["peer"])
    assert "supervisor" in exc.value.message_dict
    supervisor.refresh_from_db()
    assert supervisor.supervisor is None


def test_update_staff_audits_units(world: World) -> None:
    services.update_staff(
        world.staff["bht"], actor=world.user("admin"), home_units=[world.unit_a, world.unit_b]
    )
    assert last_event().detail["changes"]["home_units"] == {"old": ["a"], "new": ["a", "b"]}


def test_set_roles_is_a_privilege_change_that_ends_sessions(world: World) -> None:
    bht = world.staff["bht"]
    epoch = bht.user.session_epoch
    services.set_roles(bht, actor=world.user("admin"), roles=["bht", "nurse"])
    bht.user.refresh_from_db()
    assert bht.user.session_epoch == epoch + 1
    event = last_event()
    assert event.action == "privilege_change"
    assert event.detail["changes"]["roles"] == {"old": ["bht"], "new": ["bht", "nurse"]}


def test_the_last_admin_cannot_lose_the_role(world: World) -> None:
    admin = world.staff["admin"]
    with pytest.raises(ValidationError, match="at least one administrator"):
        services.set_roles(admin, actor=world.user("admin"), roles=["bht"])
    assert admin.role_codes() == ["admin"]
    make_staff("second-admin", ["admin"], [world.unit_a])
    services.set_roles(admin, actor=world.user("admin"), roles=["bht"])
    assert admin.role_codes() == ["bht"]


def test_another_organizations_admin_does_not_count_as_this_ones(world: World) -> None:
    from pillars.people.models import Organization, Site
    from pillars.people.testing import make_unit

    other = Organization.objects.create(name="Elsewhere Health")
    far_unit, _ = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    make_staff("elsewhere-admin", ["admin"], [far_unit])
    admin = world.staff["admin"]
    with pytest.raises(ValidationError, match="at least one administrator"):
        services.set_roles(admin, actor=world.user("admin"), roles=["bht"])
    today = clock.organization_today()
    with pytest.raises(ValidationError, match="at least one administrator"):
        services.exit_staff(
            admin, actor=world.user("admin"), exited_on=today, exit_reason="relocated"
        )
    admin.refresh_from_db()
    assert admin.role_codes() == ["admin"]
    assert admin.exited_on is None


def test_exit_staff_deactivates_and_ends_caseload(world: World) -> None:
    peer = world.staff["peer"]
    assignment = services.assign_caseload(
        actor=world.user("supervisor"), staff=peer, person=person_a(world), kind="peer"
    )
    today = clock.organization_today()
    services.exit_staff(peer, actor=world.user("admin"), exited_on=today, exit_reason="relocated")
    peer.refresh_from_db()
    peer.user.refresh_from_db()
    assignment.refresh_from_db()
    assert peer.exited_on == today
    assert not peer.user.is_active
    assert assignment.ended_on == today
    event = last_event()
    assert event.action == "privilege_change"
    assert event.detail["caseload_ended"] == [str(assignment.public_id)]
    with pytest.raises(ValidationError, match="already left"):
        services.exit_staff(peer, actor=world.user("admin"), exited_on=today, exit_reason="retired")


def test_exit_needs_a_known_reason_and_a_date_after_hire(world: World) -> None:
    bht = world.staff["bht"]
    with pytest.raises(ValidationError, match="reason"):
        services.exit_staff(
            bht, actor=world.user("admin"), exited_on=clock.organization_today(), exit_reason=""
        )
    with pytest.raises(ValidationError, match="before the hire date"):
        services.exit_staff(
            bht, actor=world.user("admin"), exited_on=date(2000, 1, 1), exit_reason="retired"
        )
    bht.refresh_from_db()
    assert bht.exited_on is None


def test_own_profile_is_only_ones_own(world: World) -> None:
    peer = world.staff["peer"]
    services.update_own_profile(
        peer,
        actor=world.user("peer"),
        languages=["English"],
        lived_experience=["recovery from alcohol use"],
        shares_lived_experience=True,
    )
    peer.refresh_from_db()
    assert peer.visible_lived_experience() == ["recovery from alcohol use"]
    assert last_event().detail["changes"]["shares_lived_experience"] == {
        "old": False,
        "new": True,
    }
    with pytest.raises(PermissionDenied):
        services.update_own_profile(
            peer,
            actor=world.user("admin"),
            languages=[],
            lived_experience=[],
            shares_lived_experience=False,
        )


# --- Reference data ---------------------------------------------------------------------------


def test_save_reference_audits_old_and_new(world: World) -> None:
    unit = world.unit_a
    unit.bed_count = 6
    services.save_reference(unit, actor=world.user("admin"))
    event = last_event()
    assert (event.action, event.object_type) == ("update", "people.unit")
    assert event.detail["changes"] == {"bed_count": {"old": 4, "new": 6}}
    with pytest.raises(PermissionDenied):
        services.save_reference(unit, actor=world.user("director"))


def test_a_bed_taken_in_a_race_is_a_conflict_and_nothing_is_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate the race: the check ran before another admission took the bed. The database's
    # one-person-per-bed constraint still refuses, and the service answers with a Conflict.
    monkeypatch.setattr(services, "_check_bed", lambda unit, bed, moment: None)
    person = make_person("MRN-N", "Ngata")
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.admit_person(
            person, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[0]
        )
    assert not Episode.objects.filter(person=person).exists()
    assert AuditEvent.objects.count() == count


def test_only_care_roles_carry_a_caseload(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.assign_caseload(
            actor=world.user("nurse"),
            staff=world.staff["admin"],
            person=person_a(world),
            kind="case_manager",
        )
    assert "does not have a role that carries a caseload" in exc.value.message_dict["staff"][0]
    assert not CaseloadAssignment.objects.exists()


def test_a_page_title_names_a_person_by_initials_only() -> None:
    """Titles outlive the page (browser history, the tab list of a shared workstation)."""
    person = PersonServed(legal_given_name="Alexandra", legal_family_name="Rivera")
    assert person.initials == "A. R."
    person.preferred_name = "Sasha"
    assert person.initials == "S. R."
    assert "Rivera" not in person.initials
