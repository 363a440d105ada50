"""The Django admin: reference data only, administrators only, every write audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.people.models import (
    Bed,
    CaseloadAssignment,
    EmergencyAccess,
    Episode,
    Organization,
    PersonServed,
    Program,
    Role,
    Room,
    Site,
    Staff,
    Unit,
)
from pillars.people.testing import World


def unit_form(unit: Unit, **changes: Any) -> dict[str, Any]:
    data = {
        "site": str(unit.site.pk),
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "time_zone": unit.time_zone,
        "bed_count": str(unit.bed_count),
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_only_reference_data_is_registered() -> None:
    registered = set(admin.site._registry)
    people = {m for m in registered if m._meta.app_label == "people"}
    assert people == {Organization, Site, Unit, Program, Room, Bed, Role}
    # Other apps register only the reference data they add: the incidents app's two lists, the
    # recovery app's peer-role taxonomy, scope-guard words, peer service rules and instruments,
    # the workforce app's rules, types, courses, instruments and ladders.
    assert {m._meta.label for m in registered - people} == {
        "incidents.DeescalationStep",
        "incidents.NotificationRule",
        "recovery.PeerActivity",
        "recovery.ScopeGuardTerm",
        "recovery.PeerServiceRule",
        "recovery.Instrument",
        "recovery.InstrumentSubscale",
        "recovery.InstrumentItem",
        "workforce.CadenceRule",
        "workforce.CaseloadKindLimit",
        "workforce.CeCategory",
        "workforce.CertificationRule",
        "workforce.CheckInInstrument",
        "workforce.CheckInItem",
        "workforce.CheckInRule",
        "workforce.Course",
        "workforce.CredentialType",
        "workforce.DriftThreshold",
        "workforce.EmployeeAssistance",
        "workforce.ExitReasonKind",
        "workforce.FloorRule",
        "workforce.LadderCriterion",
        "workforce.LadderStep",
        "workforce.SelfCareResource",
        "workforce.SupervisionEligibility",
        "workforce.SupervisorLoadLimit",
    }
    for model in (PersonServed, Staff, Episode, CaseloadAssignment, EmergencyAccess, Group):
        assert model not in registered
    assert not any(m._meta.app_label == "audit" for m in registered)


def test_admin_site_is_for_administrators_only(world: World, signed_in: Any) -> None:
    assert signed_in("admin").get("/admin/people/unit/").status_code == 200
    for role in ("nurse", "director", "privacy"):
        response = signed_in(role).get("/admin/people/unit/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_changing_a_unit_is_audited_with_old_and_new(world: World, signed_in: Any) -> None:
    unit = world.unit_a
    response = signed_in("admin").post(
        f"/admin/people/unit/{unit.pk}/change/", unit_form(unit, bed_count="6")
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.bed_count == 6
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.object_type, event.object_id) == (
        "update",
        "people.unit",
        str(unit.public_id),
    )
    assert event.detail["changes"] == {"bed_count": {"old": 4, "new": 6}}
    assert event.actor == world.user("admin")


def test_bad_time_zone_is_refused_and_nothing_is_audited(world: World, signed_in: Any) -> None:
    unit = world.unit_a
    before = last_seq()
    response = signed_in("admin").post(
        f"/admin/people/unit/{unit.pk}/change/", unit_form(unit, time_zone="Mars/Olympus")
    )
    assert response.status_code == 200
    assert "Use a time zone name" in response.content.decode()
    unit.refresh_from_db()
    assert unit.time_zone == "America/Chicago"
    # A refused form stores nothing and writes no change event.
    assert AuditEvent.objects.filter(seq__gt=before, action="update").count() == 0


def test_adding_a_program_audits_its_units(world: World, signed_in: Any) -> None:
    response = signed_in("admin").post(
        "/admin/people/program/add/",
        {
            "organization": str(world.org.pk),
            "name": "Crisis services",
            "units": [str(world.unit_a.pk), str(world.unit_b.pk)],
        },
    )
    assert response.status_code == 302
    program = Program.objects.get(name="Crisis services")
    assert set(program.units.all()) == {world.unit_a, world.unit_b}
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "create"
    assert sorted(event.detail["changes"]["units"]["new"]) == sorted(
        [str(world.unit_a.public_id), str(world.unit_b.public_id)]
    )


def test_reference_data_cannot_be_deleted(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    response = client.post(f"/admin/people/unit/{world.unit_b.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Unit.objects.filter(pk=world.unit_b.pk).exists()
    response = client.post(
        "/admin/people/bed/",
        {"action": "delete_selected", "_selected_action": [str(world.beds_a[3].pk)], "post": "yes"},
    )
    assert Bed.objects.filter(pk=world.beds_a[3].pk).exists()


def test_role_code_is_fixed_once_made(world: World, signed_in: Any) -> None:
    role = Role.objects.get(code="nurse")
    response = signed_in("admin").post(
        f"/admin/people/role/{role.pk}/change/",
        {"code": "admin", "name": "Charge nurse", "description": "", "may_break_glass": "on"},
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert (role.code, role.name, role.requires_two_factor) == ("nurse", "Charge nurse", False)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.detail["changes"] == {"name": {"old": "Nurse (shift lead)", "new": "Charge nurse"}}
