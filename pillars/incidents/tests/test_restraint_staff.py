"""Staff who took part in an episode: named at the start or while it runs, each with one
restraint row in the exposure ledger; staff who are not active or not working on the unit's
site are refused with nothing stored. Through the service, the pages and the API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import RestraintEpisode, RestraintStaff
from pillars.incidents.models.incidents import ExposureKind
from pillars.incidents.services import restraint as svc
from pillars.people.models import Site, Staff
from pillars.people.testing import StaffFactory, World, make_staff, make_unit
from pillars.rounds.choices import AssignmentKind
from pillars.rounds.models import ShiftAssignment
from pillars.workforce.models import ExposureEvent

pytestmark = pytest.mark.django_db


def _start(world: World, staff: list[Staff] | None = None, **kwargs: Any) -> RestraintEpisode:
    return svc.start_episode(
        world.person_a,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind=kwargs.pop("kind", "physical_hold"),
        reason="Hit a peer",
        release_criteria="Calm",
        started_at=clock.now() - timedelta(minutes=10),
        late_reason="Entered after the hold",
        staff=staff,
        **kwargs,
    )


def _ledger(staff: Staff) -> int:
    return ExposureEvent.objects.filter(staff=staff, kind=ExposureKind.RESTRAINT).count()


def _other_site_staff(world: World) -> Staff:
    site = Site.objects.create(organization=world.org, name="North campus")
    unit, _ = make_unit(site, "n")
    return make_staff("t-north-bht", [RoleCode.BHT], [unit])


def _exited(world: World) -> Staff:
    return StaffFactory.create(
        username="t-gone-bht",
        roles=[RoleCode.BHT],
        units=[world.unit_a],
        exited_on=clock.organization_today() - timedelta(days=3),
        exit_reason="relocated",
        user__is_active=False,
    )


# --- The service -----------------------------------------------------------------------------


def test_start_names_staff_and_writes_one_ledger_row_each(world: World) -> None:
    bht, nurse = world.staff["bht"], world.staff["nurse"]
    episode = _start(world, [bht, nurse, bht])
    assert [r.staff for r in episode.involved()] == [bht, nurse]
    rows = ExposureEvent.objects.filter(kind=ExposureKind.RESTRAINT, source_id=episode.public_id)
    assert sorted(r.staff_id for r in rows) == sorted([bht.pk, nurse.pk])
    assert {r.occurred_at for r in rows} == {episode.started_at}
    start = AuditEvent.objects.get(object_id=str(episode.public_id), action="create")
    assert start.detail["staff"] == [str(bht.public_id), str(nurse.public_id)]


def test_staff_from_unit_b_on_the_same_campus_may_take_part(world: World) -> None:
    outsider = world.staff["outsider"]  # home unit B, same site as unit A
    episode = _start(world, [outsider])
    assert [r.staff for r in episode.involved()] == [outsider]
    assert _ledger(outsider) == 1


def test_float_staff_on_shift_on_the_site_may_take_part(world: World) -> None:
    floater = _other_site_staff(world)
    now = clock.now()
    ShiftAssignment.objects.create(
        unit=world.unit_b,
        staff=floater,
        kind=AssignmentKind.LEAD,
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=6),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
    )
    episode = _start(world, [floater])
    assert _ledger(floater) == 1
    assert episode.involved()[0].staff == floater


@pytest.mark.parametrize("who", ["other_site", "exited"])
def test_staff_not_active_or_not_on_the_site_are_refused(world: World, who: str) -> None:
    refused = _other_site_staff(world) if who == "other_site" else _exited(world)
    with pytest.raises(ValidationError) as error:
        _start(world, [world.staff["bht"], refused])
    assert "staff" in error.value.message_dict
    assert refused.display_name in error.value.message_dict["staff"][0]
    assert RestraintEpisode.objects.count() == 0
    assert RestraintStaff.objects.count() == 0
    assert ExposureEvent.objects.count() == 0


def test_staff_hired_after_the_start_are_refused(world: World) -> None:
    new = make_staff("t-new-bht", [RoleCode.BHT], [world.unit_a])
    Staff.objects.filter(pk=new.pk).update(hired_on=clock.organization_today() + timedelta(days=1))
    new.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        _start(world, [new])
    assert "staff" in error.value.message_dict
    assert RestraintEpisode.objects.count() == 0


def test_add_staff_while_active_then_not_after_release(world: World) -> None:
    bht, clinician = world.staff["bht"], world.staff["clinician"]
    episode = _start(world, [bht])
    rows = svc.add_staff(episode, actor=world.user("bht"), staff=[clinician])
    assert [r.staff for r in rows] == [clinician]
    assert _ledger(clinician) == 1 and _ledger(bht) == 1  # noqa: PT018
    added = AuditEvent.objects.get(object_id=str(rows[0].public_id))
    assert added.detail["staff"] == str(clinician.public_id)
    # Naming the same person again is refused; nothing more is written.
    with pytest.raises(ValidationError) as error:
        svc.add_staff(episode, actor=world.user("bht"), staff=[clinician])
    assert "already named" in error.value.message_dict["staff"][0]
    with pytest.raises(ValidationError):
        svc.add_staff(episode, actor=world.user("bht"), staff=[])
    with pytest.raises(ValidationError):
        svc.add_staff(episode, actor=world.user("bht"), staff=[_exited(world)])
    assert RestraintStaff.objects.filter(episode=episode).count() == 2
    svc.release_episode(episode, actor=world.user("nurse"), reason="Calm")
    with pytest.raises(ValidationError) as error:
        svc.add_staff(episode, actor=world.user("bht"), staff=[world.staff["nurse"]])
    assert "ended" in str(error.value)
    assert _ledger(world.staff["nurse"]) == 0


def test_ledger_counts_one_row_per_episode_per_staff(world: World) -> None:
    bht = world.staff["bht"]
    first = _start(world, [bht])
    svc.release_episode(first, actor=world.user("nurse"), reason="Calm")
    _start(world, [bht], kind="seclusion")
    assert _ledger(bht) == 2


# --- Pages -----------------------------------------------------------------------------------


def test_start_page_names_staff_and_the_episode_page_adds_more(
    world: World, signed_in: Any
) -> None:
    nurse = signed_in("nurse")
    bht, clinician = world.staff["bht"], world.staff["clinician"]
    start = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    page = nurse.get(start).content.decode()
    assert "Staff who took part" in page and bht.display_name in page  # noqa: PT018
    # Someone off the site is not offered, and posting their id is a form error.
    stranger = _other_site_staff(world)
    assert stranger.display_name not in page
    response = nurse.post(
        start,
        {
            "kind": "physical_hold",
            "reason": "Hit a peer",
            "release_criteria": "Calm",
            "ordered_by": str(clinician.public_id),
            "staff": [str(stranger.public_id)],
        },
    )
    assert response.status_code == 200
    assert RestraintEpisode.objects.count() == 0
    response = nurse.post(
        start,
        {
            "kind": "physical_hold",
            "reason": "Hit a peer",
            "release_criteria": "Calm",
            "ordered_by": str(clinician.public_id),
            "staff": [str(bht.public_id)],
        },
    )
    assert response.status_code == 302
    episode = RestraintEpisode.objects.get()
    assert _ledger(bht) == 1
    detail = reverse("incidents:restraint-detail", args=[episode.public_id])
    body = nurse.get(detail).content.decode()
    assert "Staff who took part" in body and bht.display_name in body  # noqa: PT018
    url = reverse("incidents:restraint-staff", args=[episode.public_id])
    empty = signed_in("bht").post(url, {})
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    added = signed_in("bht").post(url, {"staff-staff": [str(clinician.public_id)]})
    assert added.status_code == 302
    assert _ledger(clinician) == 1
    assert clinician.display_name in nurse.get(detail).content.decode()


# --- API -------------------------------------------------------------------------------------


def test_api_start_with_staff_and_add_staff(world: World) -> None:
    nurse = api_as(world.user("nurse"))
    bht, clinician = world.staff["bht"], world.staff["clinician"]
    path = f"/persons/{world.person_a.public_id}/restraint"
    body = {
        "kind": "mechanical",
        "reason": "Hit staff",
        "release_criteria": "Calm",
        "ordered_by": str(clinician.public_id),
    }
    unknown = nurse.post(path, {**body, "staff": [str(uuid.uuid4())]})
    assert "staff" in assert_problem(unknown, 422)["errors"]
    inactive = nurse.post(path, {**body, "staff": [str(_exited(world).public_id)]})
    assert "staff" in assert_problem(inactive, 422)["errors"]
    assert RestraintEpisode.objects.count() == 0
    assert ExposureEvent.objects.count() == 0
    started = nurse.post(path, {**body, "staff": [str(bht.public_id)]})
    assert started.status_code == 201, started.content
    data = started.json()
    assert [s["staff"] for s in data["staff_involved"]] == [str(bht.public_id)]
    episode = data["public_id"]
    added = api_as(world.user("bht")).post(
        f"/restraint/{episode}/staff", {"staff": [str(clinician.public_id)]}
    )
    assert added.status_code == 201, added.content
    assert [s["name"] for s in added.json()["staff_involved"]] == [
        bht.display_name,
        clinician.display_name,
    ]
    again = nurse.post(f"/restraint/{episode}/staff", {"staff": [str(clinician.public_id)]})
    assert "staff" in assert_problem(again, 422)["errors"]
    assert_problem(nurse.post(f"/restraint/{episode}/staff", {"staff": []}), 422)
    peer = api_as(world.user("peer"))
    assert_problem(peer.post(f"/restraint/{episode}/staff", {"staff": [str(bht.public_id)]}), 403)
    assert ExposureEvent.objects.filter(kind=ExposureKind.RESTRAINT).count() == 2
