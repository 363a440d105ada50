"""A small, complete organization for tests: one staff member per role on unit A, an outsider on
unit B, and a person served admitted on each unit. Built directly (not through services) so tests
of the services start from a known state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from pillars.core import clock
from pillars.core.roles import ROLE_DEFAULTS, RoleCode
from pillars.people.choices import UnitKind
from pillars.people.models import (
    Bed,
    Episode,
    Organization,
    PersonServed,
    Placement,
    Program,
    Role,
    Room,
    Site,
    Staff,
    Unit,
)

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    org: Organization
    site: Site
    unit_a: Unit
    unit_b: Unit
    program: Program
    beds_a: list[Bed]
    beds_b: list[Bed]
    person_a: PersonServed
    person_b: PersonServed
    users: dict[str, Any] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.users[role]


def make_unit(
    site: Site, code: str, kind: str = UnitKind.ACUTE_ADULT, beds: int = 4, part2: bool = False
) -> tuple[Unit, list[Bed]]:
    unit = Unit.objects.create(
        site=site,
        name=f"Unit {code.upper()}",
        code=code,
        kind=kind,
        time_zone="America/Chicago",
        bed_count=beds,
        is_substance_use_program=part2,
    )
    made = []
    for n in range(beds):
        room, _ = Room.objects.get_or_create(unit=unit, name=f"{code.upper()}{100 + n // 2}")
        made.append(Bed.objects.create(room=room, label="A" if n % 2 == 0 else "B"))
    return unit, made


def make_staff(
    username: str,
    roles: list[str],
    units: list[Unit],
    *,
    supervisor: Staff | None = None,
    badge: str | None = None,
) -> Staff:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    staff = Staff.objects.create(
        user=user,
        display_name=username.replace("-", " ").title(),
        hired_on=date(2024, 1, 1),
        supervisor=supervisor,
        badge_number=badge,
    )
    staff.roles.set(Role.objects.filter(code__in=roles))
    staff.home_units.set(units)
    return staff


def make_person(record: str, family: str, dob: date = date(1990, 5, 17)) -> PersonServed:
    return PersonServed.objects.create(
        record_number=record,
        legal_given_name="Alex",
        legal_family_name=family,
        date_of_birth=dob,
        created_at=clock.now(),
    )


def place(person: PersonServed, unit: Unit, bed: Bed | None, by: Staff) -> Episode:
    moment = clock.now() - timedelta(days=2)
    episode = Episode.objects.create(
        person=person, admitted_at=moment, admitted_by=by, recorded_at=moment
    )
    Placement.objects.create(episode=episode, unit=unit, bed=bed, started_at=moment)
    return episode


def ensure_roles() -> None:
    """The default roles (a transactional test's flush removes the migration's rows)."""
    for code, flags in ROLE_DEFAULTS.items():
        Role.objects.get_or_create(code=str(code), defaults={"name": RoleCode(code).label, **flags})


def build_world() -> World:
    ensure_roles()
    org = Organization.objects.create(name="Test Health")
    site = Site.objects.create(organization=org, name="Main campus")
    unit_a, beds_a = make_unit(site, "a")
    unit_b, beds_b = make_unit(site, "b")
    program = Program.objects.create(organization=org, name="Peer recovery services")
    world = World(
        org,
        site,
        unit_a,
        unit_b,
        program,
        beds_a,
        beds_b,
        person_a=make_person("MRN-A1", "Rivera"),
        person_b=make_person("MRN-B1", "Okafor"),
    )
    supervisor = make_staff("t-supervisor", [RoleCode.SUPERVISOR], [unit_a])
    world.staff[RoleCode.SUPERVISOR] = supervisor
    for n, code in enumerate(RoleCode):
        if code == RoleCode.SUPERVISOR:
            continue
        sup = supervisor if code in (RoleCode.PEER, RoleCode.BHT) else None
        world.staff[code] = make_staff(
            f"t-{code}", [code], [unit_a], supervisor=sup, badge=f"B{100 + n}"
        )
    world.staff["outsider"] = make_staff("t-outsider", [RoleCode.BHT], [unit_b])
    world.users = {key: staff.user for key, staff in world.staff.items()}
    place(world.person_a, unit_a, beds_a[0], world.staff[RoleCode.NURSE])
    place(world.person_b, unit_b, beds_b[0], world.staff[RoleCode.NURSE])
    return world
