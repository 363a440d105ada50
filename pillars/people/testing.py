"""A small, complete organization for tests: one staff member per role on unit A, an outsider on
unit B, and a person served admitted on each unit. Built directly (not through services) so tests
of the services start from a known state. Staff and persons served come from factories
(``StaffFactory``, ``PersonFactory``), so a test names only what matters to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

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
    StaffHomeUnit,
    StaffRole,
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


class UserFactory(DjangoModelFactory[Any]):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"t-user-{n}")
    password = factory.django.Password(PASSWORD)


class StaffFactory(DjangoModelFactory[Staff]):
    """A staff member who can sign in, hired on 1 January 2024, with roles by code and home
    units: ``StaffFactory(username="t-left", roles=["bht"], units=[unit], exited_on=...)``. The
    organization is the first unit's."""

    class Meta:
        model = Staff

    class Params:
        username = factory.Sequence(lambda n: f"t-staff-{n}")

    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..username"))
    display_name = factory.LazyAttribute(lambda o: o.username.replace("-", " ").title())
    hired_on = date(2024, 1, 1)
    roles: Any = ()
    units: Any = ()

    @classmethod
    def _create(
        cls, model_class: type[Staff], *args: Any, roles: Any = (), units: Any = (), **kwargs: Any
    ) -> Staff:
        if units:
            kwargs.setdefault("organization_id", units[0].organization_id)
        staff: Staff = super()._create(model_class, *args, **kwargs)
        staff.roles.set(Role.objects.filter(code__in=roles))
        staff.home_units.set(units)
        return staff


def make_staff(
    username: str,
    roles: list[str],
    units: list[Unit],
    *,
    supervisor: Staff | None = None,
    badge: str | None = None,
) -> Staff:
    return StaffFactory.create(
        username=username, roles=roles, units=units, supervisor=supervisor, badge_number=badge
    )


def _an_organization() -> Organization | None:
    """None when the one organization there is will be understood (people.tenancy); a test
    organization when there is none yet."""
    if Organization.objects.exists():
        return None
    return Organization.objects.create(name="Test Health")


class PersonFactory(DjangoModelFactory[PersonServed]):
    """A person served, registered now: ``PersonFactory(legal_family_name="Rivera")``."""

    class Meta:
        model = PersonServed

    record_number = factory.Sequence(lambda n: f"MRN-T{n:05d}")
    legal_given_name = "Alex"
    legal_family_name = factory.Sequence(lambda n: f"Person{n}")
    date_of_birth = date(1990, 5, 17)
    created_at = factory.LazyFunction(clock.now)

    @classmethod
    def _create(cls, model_class: type[PersonServed], *args: Any, **kwargs: Any) -> PersonServed:
        if "organization" not in kwargs and (made := _an_organization()):
            kwargs["organization"] = made
        person: PersonServed = super()._create(model_class, *args, **kwargs)
        return person


def make_person(record: str, family: str, dob: date = date(1990, 5, 17)) -> PersonServed:
    return PersonFactory.create(record_number=record, legal_family_name=family, date_of_birth=dob)


def place(person: PersonServed, unit: Unit, bed: Bed | None, by: Staff) -> Episode:
    moment = clock.now() - timedelta(days=2)
    episode = Episode.objects.create(
        person=person, admitted_at=moment, admitted_by=by, recorded_at=moment
    )
    Placement.objects.create(episode=episode, unit=unit, bed=bed, started_at=moment)
    return episode


def ensure_roles() -> dict[str, Role]:
    """The default roles by code (a transactional test's flush removes the migration's rows)."""
    roles = {role.code: role for role in Role.objects.all()}
    missing = [
        Role(code=str(code), name=RoleCode(code).label, **flags)
        for code, flags in ROLE_DEFAULTS.items()
        if str(code) not in roles
    ]
    for role in Role.objects.bulk_create(missing):
        roles[role.code] = role
    return roles


def build_world() -> World:
    """The same rows ``make_unit``, ``make_staff``, ``make_person`` and ``place`` would write,
    in a handful of bulk inserts: most tests start from a world, so its cost is paid ~1,500
    times a run."""
    from django.contrib.auth.hashers import make_password

    roles = ensure_roles()
    org = Organization.objects.create(name="Test Health")
    site = Site.objects.create(organization=org, name="Main campus")
    program = Program.objects.create(organization=org, name="Peer recovery services")
    unit_a, unit_b = Unit.objects.bulk_create(
        Unit(
            site=site,
            name=f"Unit {code.upper()}",
            code=code,
            kind=UnitKind.ACUTE_ADULT,
            time_zone="America/Chicago",
            bed_count=4,
        )
        for code in ("a", "b")
    )
    rooms = Room.objects.bulk_create(
        Room(unit=unit, name=f"{unit.code.upper()}{100 + n}")
        for unit in (unit_a, unit_b)
        for n in range(2)
    )
    beds = Bed.objects.bulk_create(
        Bed(room=rooms[2 * u + n // 2], label="A" if n % 2 == 0 else "B")
        for u in range(2)
        for n in range(4)
    )
    person_a, person_b = PersonServed.objects.bulk_create(
        PersonServed(
            record_number=record,
            legal_given_name="Alex",
            legal_family_name=family,
            date_of_birth=date(1990, 5, 17),
            created_at=clock.now(),
        )
        for record, family in (("MRN-A1", "Rivera"), ("MRN-B1", "Okafor"))
    )
    world = World(org, site, unit_a, unit_b, program, beds[:4], beds[4:], person_a, person_b)

    # (key, role, home unit, supervised by the supervisor, badge), in make_staff's order.
    members: list[tuple[str, str, Unit, bool, str | None]] = [
        (RoleCode.SUPERVISOR, RoleCode.SUPERVISOR, unit_a, False, None)
    ]
    for n, code in enumerate(RoleCode):
        if code != RoleCode.SUPERVISOR:
            members.append(
                (code, code, unit_a, code in (RoleCode.PEER, RoleCode.BHT), f"B{100 + n}")
            )
    members.append(("outsider", RoleCode.BHT, unit_b, False, None))
    password = make_password(PASSWORD)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"t-{key}", password=password) for key, *_ in members
    )
    staff = Staff.objects.bulk_create(
        Staff(
            user=user,
            display_name=user.username.replace("-", " ").title(),
            hired_on=date(2024, 1, 1),
            badge_number=badge,
        )
        for user, (_, _, _, _, badge) in zip(users, members, strict=True)
    )
    supervisor = staff[0]
    supervised = [member for member, (_, _, _, sup, _) in zip(staff, members, strict=True) if sup]
    for member in supervised:
        member.supervisor = supervisor
    Staff.objects.bulk_update(supervised, ["supervisor"])
    StaffRole.objects.bulk_create(
        StaffRole(staff_id=member.pk, role_id=roles[role].pk)
        for member, (_, role, _, _, _) in zip(staff, members, strict=True)
    )
    StaffHomeUnit.objects.bulk_create(
        StaffHomeUnit(staff_id=member.pk, unit_id=unit.pk)
        for member, (_, _, unit, _, _) in zip(staff, members, strict=True)
    )
    for member, (key, *_) in zip(staff, members, strict=True):
        world.staff[key] = member
    world.users = {key: member.user for key, member in world.staff.items()}

    moment = clock.now() - timedelta(days=2)
    nurse = world.staff[RoleCode.NURSE]
    episodes = Episode.objects.bulk_create(
        Episode(person=person, admitted_at=moment, admitted_by=nurse, recorded_at=moment)
        for person in (person_a, person_b)
    )
    Placement.objects.bulk_create(
        Placement(episode=episode, unit=unit, bed=bed, started_at=moment)
        for episode, unit, bed in zip(episodes, (unit_a, unit_b), (beds[0], beds[4]), strict=True)
    )
    return world


@dataclass
class Elsewhere:
    """A second organization beside a world's: its own site, unit (code "q"), staff of every
    role but the BHT's, and a person placed on the unit under the world's person A's record
    number (record numbers are each organization's own)."""

    org: Organization
    unit: Unit
    beds: list[Bed]
    person: PersonServed
    staff: dict[str, Staff]


ELSEWHERE_ROLES = ("nurse", "supervisor", "director", "privacy", "admin", "peer")


def build_elsewhere(world: World) -> Elsewhere:
    other = Organization.objects.create(name="Elsewhere Health")
    site = Site.objects.create(organization=other, name="Far campus")
    unit, beds = make_unit(site, "q")
    staff = {
        role: StaffFactory.create(username=f"elsewhere-{role}", roles=[role], units=[unit])
        for role in ELSEWHERE_ROLES
    }
    person = PersonFactory.create(
        record_number=world.person_a.record_number, legal_family_name="Quillon", organization=other
    )
    place(person, unit, beds[0], staff["nurse"])
    return Elsewhere(other, unit, beds, person, staff)
