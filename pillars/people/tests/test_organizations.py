"""Two organizations in one database (people.tenancy): each one's staff find, choose and read
only their own organization's records, also where a record number is the same in both. The
permission matrix (core/tests/test_matrix.py) asks every route as another organization's
staff; these are the lookups and choices that name no record by public id."""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import client_of
from pillars.audit.forms import ReportFilterForm
from pillars.core import policy
from pillars.people import selectors
from pillars.people.models import Organization, PersonServed, Site, Staff, Unit
from pillars.people.testing import Elsewhere, StaffFactory, World, make_unit

pytestmark = pytest.mark.django_db


def test_an_organization_wide_role_reads_its_own_organization_only(
    world: World, elsewhere: Elsewhere
) -> None:
    director = elsewhere.staff["director"].user
    assert list(selectors.persons_visible_to(director)) == [elsewhere.person]
    assert list(selectors.units_visible_to(director)) == [elsewhere.unit]
    assert not policy.can(director, "people.view_person", world.person_a)
    assert policy.can(director, "people.view_person", elsewhere.person)
    # And the other way round.
    assert not policy.can(world.user("director"), "people.view_person", elsewhere.person)


def test_a_record_number_is_looked_up_in_the_requesters_organization(
    world: World, elsewhere: Elsewhere
) -> None:
    number = world.person_a.record_number
    nurse = elsewhere.staff["nurse"].user
    assert selectors.find_person_for_emergency(nurse, number) == elsewhere.person
    assert selectors.find_person_for_emergency(world.user("nurse"), number) == world.person_a
    assert selectors.lookup_for_admission(nurse, number).already_yours == elsewhere.person
    privacy = elsewhere.staff["privacy"].user
    form = ReportFilterForm({"person": number}, user=privacy)
    assert form.is_valid(), form.errors
    assert form.person_id == elsewhere.person.public_id


def test_a_staff_form_offers_and_takes_the_administrators_own_units_only(
    world: World, elsewhere: Elsewhere
) -> None:
    client = client_of(elsewhere.staff["admin"])
    page = client.get("/people/staff/new/").content.decode()
    assert str(elsewhere.unit.public_id) in page
    assert str(world.unit_a.public_id) not in page
    assert world.staff["supervisor"].display_name not in page
    response = client.post(
        "/people/staff/new/",
        {
            "username": "crossing-over",
            "display_name": "Crossing Over",
            "roles": ["bht"],
            "hired_on": "2025-06-01",
            "home_units": [str(world.unit_a.public_id)],
        },
    )
    assert response.status_code == 200
    assert not Staff.objects.filter(user__username="crossing-over").exists()


def test_a_colleague_of_another_organization_cannot_be_recognized(
    world: World, elsewhere: Elsewhere, signed_in: Any
) -> None:
    from pillars.core.tokens import create_token
    from pillars.workforce.models import Recognition

    _, secret = create_token(
        elsewhere.staff["peer"].user, name="t", scopes=["read", "write"], days=1
    )
    response = signed_in("peer").get("/workforce/recognition/give/")
    assert elsewhere.staff["nurse"].display_name not in response.content.decode()
    response = client_of(elsewhere.staff["peer"]).post(
        "/api/v1/workforce/recognitions",
        {"to": str(world.staff["nurse"].public_id), "message": "Thank you for today"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 404
    assert not Recognition.objects.exists()


def test_organization_figures_count_the_organizations_own_staff_and_units(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.workforce.selectors import retention, wellbeing

    director = elsewhere.staff["director"].user
    by_unit = retention.workforce_view(director, by="unit")
    assert {row.group for row in by_unit.turnover} == {
        elsewhere.unit.name,
        "The whole organization",
    }
    groups = wellbeing.exposure_aggregates(director)
    assert [g.label for g in groups][:-1] == [elsewhere.unit.name]


def test_the_glass_is_broken_only_on_the_requesters_organizations_persons(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.people.models import EmergencyAccess

    response = client_of(elsewhere.staff["nurse"]).post(
        "/people/emergency/",
        {
            "person": str(world.person_a.public_id),
            "reason": "Crisis call about this person",
            "minutes": "60",
        },
    )
    assert response.status_code == 404
    assert not EmergencyAccess.objects.exists()


def test_another_organizations_site_is_not_found_on_the_directors_dashboard(
    world: World, elsewhere: Elsewhere
) -> None:
    client = client_of(elsewhere.staff["director"])
    response = client.get("/insights/", {"site": str(world.site.public_id)})
    assert response.status_code == 404
    assert world.site.name not in response.content.decode()
    assert client.get("/insights/", {"site": str(elsewhere.unit.site.public_id)}).status_code == 200


def test_a_consent_names_programs_and_recipients_of_its_own_organization_only(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.core import clock
    from pillars.core.tests.api_support import api_as
    from pillars.people.consent_models import Consent

    program, _ = make_unit(elsewhere.unit.site, "s", part2=True)
    api = api_as(elsewhere.staff["privacy"].user)

    def consent(programs: list[Unit], recipient: Staff) -> Any:
        return api.post(
            f"/persons/{elsewhere.person.public_id}/consents",
            {
                "programs": [str(p.public_id) for p in programs],
                "information_kinds": ["safety_plan"],
                "information_description": "Safety plan",
                "purposes": ["treatment"],
                "recipients": [{"kind": "staff", "staff": str(recipient.public_id)}],
                "expiry_event": "Discharge",
                "signed_by": "person",
                "signer_name": "Alex Quillon",
                "signed_on": clock.today_in("America/Chicago").isoformat(),
            },
        )

    assert consent([program], world.staff["nurse"]).status_code == 422
    assert consent([world.unit_a], elsewhere.staff["nurse"]).status_code == 422
    assert not Consent.objects.exists()
    assert consent([program], elsewhere.staff["nurse"]).status_code == 201


def test_the_consent_form_offers_the_organizations_own_programs_and_units(
    world: World, elsewhere: Elsewhere
) -> None:
    program, _ = make_unit(elsewhere.unit.site, "s", part2=True)
    world_program, _ = make_unit(world.site, "w", part2=True)
    client = client_of(elsewhere.staff["privacy"])
    page = client.get(f"/people/persons/{elsewhere.person.public_id}/consents/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert str(program.public_id) in body
    assert str(world_program.public_id) not in body
    assert str(world.unit_a.public_id) not in body


# --- The Django admin (reference data) ---------------------------------------------------------


def _admin_page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return str(response.content.decode())


def test_the_admin_lists_and_offers_the_administrators_own_organization_only(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.people.models import Bed, Room

    client = client_of(elsewhere.staff["admin"])
    units = _admin_page(client, "/admin/people/unit/")
    assert "Unit Q" in units
    assert "Unit A" not in units
    assert "Main campus" not in units  # nor in the site filter
    assert "Test Health" not in _admin_page(client, "/admin/people/organization/")
    assert "Main campus" not in _admin_page(client, "/admin/people/site/")
    rooms = _admin_page(client, "/admin/people/room/")
    assert "Q100" in rooms
    assert "A100" not in rooms
    assert "Unit A" not in rooms  # the unit filter
    beds = _admin_page(client, "/admin/people/bed/")
    assert "A100" not in beds
    assert "Unit A" not in beds
    # The add forms offer the organization's own sites, units and the organization itself.
    form = _admin_page(client, "/admin/people/unit/add/")
    assert "Far campus" in form
    assert "Main campus" not in form
    assert "Unit A" not in _admin_page(client, "/admin/people/program/add/")
    assert "Test Health" not in _admin_page(client, "/admin/people/program/add/")
    assert "Unit A" not in _admin_page(client, "/admin/people/room/add/")
    # Another organization's row is not there, as if it did not exist.
    for path in (
        f"/admin/people/unit/{world.unit_a.pk}/change/",
        f"/admin/people/site/{world.site.pk}/change/",
        f"/admin/people/organization/{world.org.pk}/change/",
        f"/admin/people/room/{Room.objects.filter(unit=world.unit_a)[0].pk}/change/",
        f"/admin/people/bed/{Bed.objects.filter(room__unit=world.unit_a)[0].pk}/change/",
        f"/admin/people/unit/{world.unit_a.pk}/history/",
    ):
        response = client.get(path, follow=True)
        body = response.content.decode()
        assert "Unit A" not in body, path
        assert "Main campus" not in body, path
        assert "doesn’t exist" in body or response.status_code == 404, path


def test_the_admin_changes_nothing_of_another_organization(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.people.models import Program

    client = client_of(elsewhere.staff["admin"])
    unit = world.unit_a
    response = client.post(
        f"/admin/people/unit/{unit.pk}/change/",
        {
            "site": str(unit.site.pk),
            "name": "Taken over",
            "code": unit.code,
            "kind": unit.kind,
            "time_zone": "Pacific/Auckland",
            "bed_count": "4",
            "is_active": "on",
            "is_substance_use_program": "on",
        },
    )
    assert response.status_code in (302, 404)
    unit.refresh_from_db()
    assert (unit.name, unit.time_zone, unit.is_substance_use_program) == (
        "Unit A",
        "America/Chicago",
        False,
    )
    # A new unit on the other organization's site, a program on its units: not a choice.
    before = Unit.objects.count()
    response = client.post(
        "/admin/people/unit/add/",
        {
            "site": str(world.site.pk),
            "name": "Planted",
            "code": "pl",
            "kind": unit.kind,
            "time_zone": "America/Chicago",
            "bed_count": "2",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Unit.objects.count() == before
    response = client.post(
        "/admin/people/program/add/",
        {
            "organization": str(elsewhere.unit.organization_id),
            "name": "Reaching over",
            "units": [str(world.unit_a.pk)],
        },
    )
    assert response.status_code == 200
    assert not Program.objects.filter(name="Reaching over").exists()
    # And no new organization: it would have nobody to run it.
    assert client.get("/admin/people/organization/add/").status_code == 403
    assert client_of(world.staff["admin"]).get("/admin/people/organization/add/").status_code == (
        403
    )


def test_a_role_every_organization_shares_is_changed_by_the_operator_only(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.people.models import Role

    nurse = Role.objects.get(code="nurse")
    form = {"code": "nurse", "name": "Anyone at all", "description": "", "is_org_wide": "on"}
    for admin in (elsewhere.staff["admin"], world.staff["admin"]):
        client = client_of(admin)
        # Shown (every organization's staff hold these roles), not changed.
        page = _admin_page(client, f"/admin/people/role/{nurse.pk}/change/")
        assert "Nurse (shift lead)" in page
        assert 'name="name"' not in page
        assert client.post(f"/admin/people/role/{nurse.pk}/change/", form).status_code == 403
        nurse.refresh_from_db()
        assert (nurse.name, nurse.is_org_wide) == ("Nurse (shift lead)", False)
    # The installation's operator (a superuser who holds the administrator role) may.
    operator = world.staff["admin"].user
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    response = client_of(world.staff["admin"]).post(f"/admin/people/role/{nurse.pk}/change/", form)
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.name == "Anyone at all"


def test_the_reference_service_refuses_another_organizations_rows(
    world: World, elsewhere: Elsewhere
) -> None:
    from django.core.exceptions import PermissionDenied

    from pillars.audit.testing import last_seq
    from pillars.people import services
    from pillars.people.models import Program, Role

    admin = elsewhere.staff["admin"].user
    before = last_seq()
    unit = Unit.objects.get(pk=world.unit_a.pk)
    unit.name = "Taken over"
    attempts: list[Any] = [
        lambda: services.save_reference(unit, actor=admin),
        lambda: services.save_reference(Site(organization=world.org, name="Planted"), actor=admin),
        lambda: services.save_reference(Organization(name="Brand new"), actor=admin),
        lambda: services.save_reference(
            Program(organization_id=elsewhere.unit.organization_id, name="Reaching over"),
            actor=admin,
            m2m={"units": [world.unit_a]},
        ),
        lambda: services.save_reference(Role.objects.get(code="bht"), actor=admin),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert last_seq() == before
    assert Unit.objects.get(pk=world.unit_a.pk).name == "Unit A"
    assert not Site.objects.filter(name="Planted").exists()
    assert not Organization.objects.filter(name="Brand new").exists()
    assert not Program.objects.filter(name="Reaching over").exists()
    # Its own rows it keeps changing.
    own = Unit.objects.get(pk=elsewhere.unit.pk)
    own.bed_count = 6
    services.save_reference(own, actor=admin)
    assert Unit.objects.get(pk=own.pk).bed_count == 6


def test_another_organizations_staff_support_contacts_are_not_in_the_admin(
    world: World, elsewhere: Elsewhere
) -> None:
    """Other apps' reference rows of an organization (the employee assistance line its staff are
    offered with every wellbeing check-in) keep to it the same way."""
    from pillars.workforce.models import EmployeeAssistance

    line = EmployeeAssistance.objects.create(
        organization=world.org, name="Test Health EAP", phone="555-0100"
    )
    client = client_of(elsewhere.staff["admin"])
    assert "Test Health EAP" not in _admin_page(client, "/admin/workforce/employeeassistance/")
    response = client.post(
        f"/admin/workforce/employeeassistance/{line.pk}/change/",
        {"organization": str(world.org.pk), "name": "Call us instead", "phone": "555-0199"},
    )
    assert response.status_code in (302, 404)
    line.refresh_from_db()
    assert (line.name, line.phone) == ("Test Health EAP", "555-0100")
    # Nor may it add one for the other organization.
    response = client.post(
        "/admin/workforce/employeeassistance/add/",
        {"organization": str(world.org.pk), "name": "Planted line", "phone": "555-0198"},
    )
    assert response.status_code == 200
    assert not EmployeeAssistance.objects.filter(name="Planted line").exists()
    assert "Test Health EAP" in _admin_page(
        client_of(world.staff["admin"]), "/admin/workforce/employeeassistance/"
    )


def test_a_floor_rule_every_organization_shares_is_changed_by_the_operator_only(
    world: World, elsewhere: Elsewhere
) -> None:
    """Observation levels, restraint rule profiles, checklists, credential types and supervision
    cadence are versioned rules every organization shares (core.versioning): where several
    organizations share the installation, one organization's administrator cannot make q15
    mean another interval for the other."""
    from django.core.exceptions import PermissionDenied

    from pillars.audit.testing import last_seq
    from pillars.rounds import services as rounds_services
    from pillars.rounds.models import ObservationLevel

    q15 = ObservationLevel.objects.get(code="q15", is_current=True)
    before = last_seq()
    for admin in (elsewhere.staff["admin"].user, world.user("admin")):
        with pytest.raises(PermissionDenied):
            rounds_services.change_level(q15, actor=admin, interval_minutes=60)
    assert last_seq() == before
    assert ObservationLevel.objects.get(code="q15", is_current=True).pk == q15.pk
    operator = world.user("admin")
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    changed = rounds_services.change_level(q15, actor=operator, name="Every quarter hour")
    assert (changed.version, changed.name) == (q15.version + 1, "Every quarter hour")


def test_the_operator_command_makes_an_administrator_the_operator_and_back(
    world: World, elsewhere: Elsewhere
) -> None:
    from django.core.management import CommandError, call_command

    from pillars.audit.models import AuditEvent
    from pillars.people import services
    from pillars.people.models import Role

    admin = world.staff["admin"]
    assert not services.may_change_shared(admin.user)
    call_command("operator", admin.user.username, stdout=io.StringIO())
    admin.user.refresh_from_db()
    assert admin.user.is_superuser
    assert services.may_change_shared(admin.user)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_label) == ("privilege_change", "pillars operator")
    assert event.detail["changes"] == {"operator": {"old": False, "new": True}}
    role = Role.objects.get(code="peer")
    role.name = "Peer recovery specialist"
    services.save_reference(role, actor=admin.user)
    # Only an active administrator; nothing changes otherwise.
    for name in (world.user("nurse").username, "nobody-here"):
        with pytest.raises(CommandError, match="Nothing was changed"):
            call_command("operator", name, stdout=io.StringIO())
    world.user("nurse").refresh_from_db()
    assert not world.user("nurse").is_superuser
    call_command("operator", admin.user.username, "--revoke", stdout=io.StringIO())
    admin.user.refresh_from_db()
    assert not admin.user.is_superuser
    assert not services.may_change_shared(admin.user)


def test_a_failed_sign_in_under_another_organizations_name_or_badge_is_not_in_the_report(
    world: World, elsewhere: Elsewhere, rf: Any
) -> None:
    """A failed sign-in has no actor (nobody signed in) and names the account by what was
    typed: under a name or badge of one organization's staff, only that organization's privacy
    officer reads it; under a name no one has, every organization's does."""
    from django.contrib.auth.signals import user_login_failed

    from pillars.audit.models import AuditEvent

    Staff.objects.filter(pk=elsewhere.staff["nurse"].pk).update(badge_number="7001")
    Staff.objects.filter(pk=world.staff["nurse"].pk).update(badge_number="4001")
    typed = {
        "theirs": {"username": " Elsewhere-Nurse "},
        "their badge": {"badge": "7001"},
        "ours": {"username": world.user("nurse").username.upper()},
        "our badge": {"badge": " 4001"},
        "no one's": {"username": "nobody-by-this-name"},
    }
    for credentials in typed.values():
        request = rf.post("/account/sign-in/", REMOTE_ADDR="203.0.113.9")
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)

    def read_by(user: Any) -> set[str]:
        events = policy.restrict(AuditEvent.objects.all(), user, "audit.view_report")
        return set(events.filter(action="sign_in_failed").values_list("actor_label", flat=True))

    labels = {
        name: AuditEvent.objects.filter(action="sign_in_failed")
        .order_by("seq")
        .values_list("actor_label", flat=True)[i]
        for i, name in enumerate(typed)
    }
    assert read_by(world.user("privacy")) == {
        labels["ours"],
        labels["our badge"],
        labels["no one's"],
    }
    assert read_by(elsewhere.staff["privacy"].user) == {
        labels["theirs"],
        labels["their badge"],
        labels["no one's"],
    }


# --- Off the main read paths: imports, transfers, the director's census, tablets --------------


def test_a_staff_import_resolves_units_supervisors_and_badges_in_the_importers_organization(
    world: World, elsewhere: Elsewhere
) -> None:
    """Unit codes, badges and supervisors in an import file name the importer's organization's
    (unit codes and badges are each organization's own)."""
    from pillars.people import importing

    badge = world.staff["nurse"].badge_number
    text = (
        "username,display_name,hired_on,roles,home_units,badge_number,supervisor\n"
        "far.one,Far One,2024-02-01,bht,a,,\n"
        f"far.two,Far Two,2024-02-01,bht,q,{badge},\n"
        "far.three,Far Three,2024-02-01,bht,q,,t-supervisor\n"
    )
    report = importing.run(
        "staff", text.encode(), actor=elsewhere.staff["admin"].user, commit=True, source="t.csv"
    )
    assert [str(p) for p in report.problems] == [
        "line 2: unit code 'a' does not exist",
        "line 4: supervisor 't-supervisor' is not a staff member (put them on an earlier line, "
        "or import them first)",
    ]
    assert not report.committed
    assert not world.unit_a.staff.filter(user__username__startswith="far.").exists()
    # The badge another organization uses is free in this one.
    good = "\n".join(text.splitlines()[:1] + text.splitlines()[2:3]) + "\n"
    report = importing.run(
        "staff", good.encode(), actor=elsewhere.staff["admin"].user, commit=True, source="t.csv"
    )
    assert report.committed, report.problems
    made = Staff.objects.get(user__username="far.two")
    assert (made.organization_id, made.badge_number) == (elsewhere.unit.organization_id, badge)
    assert list(made.home_units.all()) == [elsewhere.unit]


def test_a_persons_import_admits_to_the_importers_units_only(
    world: World, elsewhere: Elsewhere
) -> None:
    """A person imported onto another organization's unit code is refused (it would have made
    the person the other organization's, on its unit); a record number another organization
    uses is free in this one."""
    from pillars.people import importing

    text = (
        "record_number,legal_given_name,legal_family_name,date_of_birth,unit,bed\n"
        "MRN-FAR1,Robin,Hale,1985-07-04,a,A101-B\n"
        f"{world.person_b.record_number},Casey,Moss,2002-12-31,q,\n"
    )
    report = importing.run(
        "persons", text.encode(), actor=elsewhere.staff["admin"].user, commit=True, source="t.csv"
    )
    assert [str(p) for p in report.problems] == ["line 2: unit code 'a' does not exist"]
    assert not PersonServed.objects.filter(record_number="MRN-FAR1").exists()
    good = "\n".join(text.splitlines()[:1] + text.splitlines()[2:3]) + "\n"
    report = importing.run(
        "persons", good.encode(), actor=elsewhere.staff["admin"].user, commit=True, source="t.csv"
    )
    assert report.committed, report.problems
    made = PersonServed.objects.get(
        record_number=world.person_b.record_number, organization_id=elsewhere.unit.organization_id
    )
    assert made.legal_family_name == "Moss"


def test_a_transfer_offers_and_takes_the_organizations_own_units_only(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.core.tests.api_support import api_as
    from pillars.people.models import Placement

    nurse = elsewhere.staff["nurse"]
    client = client_of(nurse)
    url = f"/people/persons/{elsewhere.person.public_id}/transfer/"
    page = client.get(url).content.decode()
    assert str(elsewhere.unit.public_id) in page
    assert str(world.unit_a.public_id) not in page
    assert str(world.beds_a[1].public_id) not in page
    response = client.post(url, {"place": str(world.unit_a.public_id), "reason": "over there"})
    assert response.status_code == 200
    episode = elsewhere.person.episodes.get()
    response = api_as(nurse.user).post(
        f"/episodes/{episode.public_id}/transfer", {"unit": str(world.unit_a.public_id)}
    )
    assert response.status_code == 422
    assert list(Placement.objects.filter(episode=episode).values_list("unit_id", flat=True)) == [
        elsewhere.unit.pk
    ]


def test_the_transfer_service_itself_refuses_another_organizations_unit(
    world: World, elsewhere: Elsewhere
) -> None:
    """Behind the pages and the API: a caller that hands the service another organization's
    unit gets a refusal, and the person stays where they are."""
    from pillars.core.errors import ValidationError
    from pillars.people import services
    from pillars.people.models import Placement

    episode = elsewhere.person.episodes.get()
    with pytest.raises(ValidationError, match="no such unit"):
        services.transfer_person(
            episode, actor=elsewhere.staff["nurse"].user, unit=world.unit_a, reason="over there"
        )
    assert list(Placement.objects.filter(episode=episode).values_list("unit_id", "ended_at")) == [
        (elsewhere.unit.pk, None)
    ]


def test_the_directors_census_counts_the_organizations_own_staff(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.people import panels

    def nurses(user: Any) -> int:
        figures = panels.organization_census(None, policy.actor_for(user))  # type: ignore[arg-type]
        return next(row["n"] for row in figures["roles"] if row["code"] == "nurse")

    assert nurses(elsewhere.staff["director"].user) == 1
    StaffFactory.create(username="elsewhere-nurse-2", roles=["nurse"], units=[elsewhere.unit])
    assert nurses(elsewhere.staff["director"].user) == 2
    assert nurses(world.user("director")) == 1


def test_another_organizations_tablet_is_not_among_a_staff_members_tablets(
    world: World, elsewhere: Elsewhere, signed_in: Any
) -> None:
    """A staff member who signs in with a password on another organization's unit tablet does
    not link it to themselves: their administrator neither sees it nor can revoke it."""
    from django.http import Http404
    from django.test import Client

    from pillars.core import clock
    from pillars.people import access
    from pillars.people.models import DeviceEnrollment, TrustedDevice
    from pillars.people.tablets import DEVICE_COOKIE
    from pillars.people.testing import PASSWORD

    nurse = signed_in("nurse")
    response = nurse.post(
        "/account/tablet/register/", {"unit": str(world.unit_a.public_id), "name": "North"}
    )
    assert response.status_code == 302
    tablet = Client()
    tablet.cookies[DEVICE_COOKIE] = nurse.cookies[DEVICE_COOKIE].value
    response = tablet.post(
        "/account/sign-in/", {"username": "elsewhere-nurse", "password": PASSWORD}
    )
    assert response.status_code == 302
    device = TrustedDevice.objects.get()
    far_nurse, far_admin = elsewhere.staff["nurse"], elsewhere.staff["admin"].user
    assert not DeviceEnrollment.objects.filter(staff=far_nurse).exists()
    # Nor does a link written before sign-ins kept to the tablet's organization.
    DeviceEnrollment.objects.create(device=device, staff=far_nurse, full_sign_in_at=clock.now())
    assert access.get_access_for(far_admin, far_nurse.public_id).tablets == []
    with pytest.raises(Http404):
        access.revoke_tablet(far_nurse, device, actor=far_admin, reason="Not ours at all, surely.")
    device.refresh_from_db()
    assert device.revoked_at is None


def test_a_staff_members_units_programs_and_supervisor_are_their_organizations(
    world: World, elsewhere: Elsewhere
) -> None:
    """Behind the staff form and the import: the services refuse another organization's unit,
    program or supervisor, on a hire and on a change, and nothing is stored."""
    from datetime import date

    from pillars.core.errors import ValidationError
    from pillars.people import services

    admin = elsewhere.staff["admin"].user
    theirs: dict[str, dict[str, Any]] = {
        "home_units": {"home_units": [world.unit_a]},
        "programs": {"programs": [world.program]},
        "supervisor": {"supervisor": world.staff["supervisor"]},
    }
    for field, given in theirs.items():
        with pytest.raises(ValidationError) as refused:
            services.create_staff(
                actor=admin,
                username=f"elsewhere-new-{field}",
                display_name="New Hire",
                hired_on=date(2026, 1, 5),
                roles=["bht"],
                **given,
            )
        assert field in refused.value.message_dict, refused.value.message_dict
        assert "Supervisor" not in str(refused.value.message_dict)  # no name of theirs shown
        with pytest.raises(ValidationError) as refused:
            services.update_staff(elsewhere.staff["peer"], actor=admin, **given)
        assert field in refused.value.message_dict
    assert not Staff.objects.filter(user__username__startswith="elsewhere-new-").exists()
    peer = Staff.objects.get(pk=elsewhere.staff["peer"].pk)
    assert list(peer.home_units.all()) == [elsewhere.unit]
    assert peer.supervisor_id is None
    assert not peer.programs.exists()
