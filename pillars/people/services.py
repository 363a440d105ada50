"""Every write to people, units, staff, episodes and caseloads (DESIGN.md rule 3).

Each service checks permission through the policy layer, validates, writes in one transaction and
appends its audit event (with old and new values) inside that same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.core.roles import RoleCode
from pillars.core.sessions import revoke_everywhere
from pillars.core.writes import atomic_or_conflict, lock_once
from pillars.people import hooks
from pillars.people.choices import CaseloadKind, Disposition, ExitReason, ReviewFinding
from pillars.people.models import (
    Bed,
    CaseloadAssignment,
    DeviceEnrollment,
    EmergencyAccess,
    Episode,
    Organization,
    PersonServed,
    Placement,
    Program,
    Role,
    Room,
    Site,
    Staff,
    TrustedDevice,
    Unit,
)
from pillars.people.selectors import record_person_event
from pillars.people.tenancy import fill_organizations, organization_column, organization_for

PERSON_FIELDS = [
    "record_number",
    "legal_given_name",
    "legal_family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
]
STAFF_FIELDS = [
    "display_name",
    "job_title",
    "badge_number",
    "hired_on",
    "exited_on",
    "exit_reason",
    "languages",
    "lived_experience",
    "shares_lived_experience",
    "supervisor",
]
# The roles whose members work directly with persons served and so can carry a caseload.
CASELOAD_ROLES = (
    RoleCode.BHT,
    RoleCode.NURSE,
    RoleCode.CLINICIAN,
    RoleCode.PEER,
    RoleCode.SUPERVISOR,
)
EMERGENCY_ACCESS_MINUTES = 60
QUICK_SWITCH_VALID_HOURS = 12
OLDEST_BIRTH_YEAR = 1900

# Checks other apps add on the choice of a supervisor live in the one hook registry
# (hooks.add_supervisor_check: workforce's who may supervise whom and load limits).
_supervisor_errors = hooks.supervisor_errors


# --- Persons served ----------------------------------------------------------------------------


def _clean_person(
    values: dict[str, Any], *, organization_id: int | None, exclude_pk: int | None = None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for name in ("record_number", "legal_given_name", "legal_family_name"):
        text = str(cleaned.get(name) or "").strip()
        if not text:
            errors.setdefault(name, []).append("This field is required.")
        cleaned[name] = text
    for name in ("preferred_name", "pronouns"):
        cleaned[name] = str(cleaned.get(name) or "").strip()
    dob = cleaned.get("date_of_birth")
    if not isinstance(dob, date):
        errors.setdefault("date_of_birth", []).append("Enter a date of birth (YYYY-MM-DD).")
    elif dob > clock.organization_today():
        errors.setdefault("date_of_birth", []).append("Date of birth cannot be in the future.")
    elif dob.year < OLDEST_BIRTH_YEAR:
        errors.setdefault("date_of_birth", []).append("Date of birth is too far in the past.")
    number = cleaned.get("record_number")
    # Record numbers are the organization's own (people.tenancy).
    same = PersonServed.objects.filter(record_number=number)
    if organization_id is not None:
        same = same.filter(organization_id=organization_id)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if number and same.exists():
        errors.setdefault("record_number", []).append("A person with this record number exists.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _person_fields(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The person's fields among a service's keyword arguments (its ``locals()`` on entry)."""
    return {name: arguments[name] for name in PERSON_FIELDS}


def create_person(
    *,
    actor: Any,
    record_number: str,
    legal_given_name: str,
    legal_family_name: str,
    date_of_birth: date,
    preferred_name: str = "",
    pronouns: str = "",
    unit: Unit | None = None,
    bed: Bed | None = None,
    admitted_at: datetime | None = None,
) -> PersonServed:
    """Register a person served; with a unit, admit them there in the same transaction (so a
    nurse who registers someone can see them: scope follows the unit)."""
    fields = _person_fields(locals())
    acting = policy.require(actor, "people.create_person")
    if unit is not None:
        policy.require(actor, "people.admit", unit)
    return _create_person(
        actor=actor,
        staff_pk=acting.staff_pk,
        values=fields,
        unit=unit,
        bed=bed,
        admitted_at=admitted_at,
        via="form",
    )


def import_person(
    *, actor: Any, unit: Unit | None = None, bed: Bed | None = None, **person: Any
) -> PersonServed:
    """Create (and, with a unit, admit) one person from an administrator's import file; the
    person's fields (``PERSON_FIELDS``) are those ``create_person`` takes.

    The importer's right is ``people.import``: an administrator loads the census when a program
    starts using Pillars, without being on the care team. Each row is audited like a form entry.
    """
    acting = policy.require(actor, "people.import")
    return _create_person(
        actor=actor,
        staff_pk=acting.staff_pk,
        values=_person_fields(person),
        unit=unit,
        bed=bed,
        admitted_at=None,
        via="import",
    )


def _create_person(
    *,
    actor: Any,
    staff_pk: int,
    values: dict[str, Any],
    unit: Unit | None,
    bed: Bed | None,
    admitted_at: datetime | None,
    via: str,
) -> PersonServed:
    organization_id = unit.organization_id if unit is not None else organization_for(actor)
    values = _clean_person(values, organization_id=organization_id)
    with atomic_or_conflict("That record number was used a moment ago; check and try again."):
        person = PersonServed.objects.create(
            organization_id=organization_id, created_at=clock.now(), **values
        )
        audit.record(
            actor,
            Action.CREATE,
            person,
            person_id=person.public_id,
            purpose=Purpose.TREATMENT,
            detail={
                **audit.changes(None, audit.snapshot(person, PERSON_FIELDS)),
                "via": via,
            },
        )
        if unit is not None:
            _admit(
                person,
                actor=actor,
                staff_pk=staff_pk,
                unit=unit,
                bed=bed,
                admitted_at=admitted_at,
            )
    return person


def update_person(person: PersonServed, *, actor: Any, **fields: Any) -> PersonServed:
    """Change a person's demographics; the audit event keeps old and new values."""
    policy.require(actor, "people.edit_person", person)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise invalid(None, f"Unknown fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        person = PersonServed.objects.select_for_update().get(pk=person.pk)
        before = audit.snapshot(person, PERSON_FIELDS)
        values = _clean_person(
            {**before_values(person), **fields},
            organization_id=person.organization_id,
            exclude_pk=person.pk,
        )
        for name, value in values.items():
            setattr(person, name, value)
        person.save()
        record_person_event(
            person,
            actor=actor,
            action=Action.UPDATE,
            target=person,
            detail=audit.changes(before, audit.snapshot(person, PERSON_FIELDS)),
        )
    return person


def before_values(person: PersonServed) -> dict[str, Any]:
    return {name: getattr(person, name) for name in PERSON_FIELDS}


# --- Episodes: admit, transfer, discharge ------------------------------------------------------


def _check_moment(moment: datetime | None, field: str) -> datetime:
    now = clock.now()
    if moment is None:
        return now
    if moment.tzinfo is None:
        raise invalid(field, "The time must include a time zone.")
    if moment > now + timedelta(minutes=5):
        raise invalid(field, "The time cannot be in the future.")
    return moment


def _check_bed(unit: Unit, bed: Bed | None, moment: datetime) -> None:
    if bed is None:
        return
    if bed.room.unit_id != unit.pk:
        raise invalid("bed", f"Bed {bed} is not on {unit}.")
    if not bed.is_active:
        raise invalid("bed", f"Bed {bed} is out of service.")
    # The new placement runs from ``moment`` on: a backdated admission or transfer must not
    # overlap anyone who held the bed after that moment, even if they have left it since.
    if (
        Placement.objects.filter(bed=bed)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
        .exists()
    ):
        raise invalid("bed", f"Bed {bed} is occupied.")


def admit_person(
    person: PersonServed,
    *,
    actor: Any,
    unit: Unit,
    bed: Bed | None = None,
    admitted_at: datetime | None = None,
) -> Episode:
    """Open an episode of care and its first placement."""
    acting = policy.require(actor, "people.admit", unit)
    return _admit(
        person,
        actor=actor,
        staff_pk=acting.staff_pk,
        unit=unit,
        bed=bed,
        admitted_at=admitted_at,
    )


def _admit(
    person: PersonServed,
    *,
    actor: Any,
    staff_pk: int,
    unit: Unit,
    bed: Bed | None,
    admitted_at: datetime | None,
) -> Episode:
    moment = _check_moment(admitted_at, "admitted_at")
    if not unit.is_active:
        raise invalid("unit", f"{unit} is not accepting admissions.")
    if clock.local(moment, unit.time_zone).date() < person.date_of_birth:
        raise invalid("admitted_at", "The admission is before the date of birth.")
    with atomic_or_conflict("That person or bed changed a moment ago; reload and try again."):
        PersonServed.objects.select_for_update().get(pk=person.pk)
        if Episode.objects.open().filter(person=person).exists():
            raise invalid(None, f"{person} is already admitted.")
        last = Episode.objects.filter(person=person).order_by("-discharged_at").first()
        if last and last.discharged_at and moment < last.discharged_at:
            raise invalid("admitted_at", "The admission is before the last discharge.")
        _check_bed(unit, bed, moment)
        episode = Episode.objects.create(
            person=person,
            admitted_at=moment,
            admitted_by_id=staff_pk,
            recorded_at=clock.now(),
        )
        Placement.objects.create(
            episode=episode, unit=unit, bed=bed, started_at=moment, reason="admission"
        )
        record_person_event(
            person,
            actor=actor,
            action=Action.CREATE,
            target=episode,
            detail={
                "event": "admit",
                "unit": unit.code,
                "bed": str(bed) if bed else None,
                "admitted_at": moment.isoformat(),
            },
        )
    return episode


def transfer_person(
    episode: Episode,
    *,
    actor: Any,
    unit: Unit,
    bed: Bed | None = None,
    moved_at: datetime | None = None,
    reason: str = "",
) -> Placement:
    """Close the current placement and open the next at the same moment."""
    policy.require(actor, "people.transfer", episode)
    moment = _check_moment(moved_at, "moved_at")
    with atomic_or_conflict("That bed was taken a moment ago; choose another."):
        # Lock the episode first, as discharge does, so a transfer and a discharge of the
        # same person cannot interleave (one would reopen what the other closed).
        episode = Episode.objects.select_for_update().get(pk=episode.pk)
        current = Placement.objects.select_for_update().current().filter(episode=episode).first()
        if current is None or episode.discharged_at is not None:
            raise invalid(None, "This episode has been discharged.")
        if moment <= current.started_at:
            raise invalid("moved_at", "The transfer must be after the current placement began.")
        if current.unit_id == unit.pk and current.bed_id == (bed.pk if bed else None):
            raise invalid("bed", "That is where the person is now.")
        if not unit.is_active:
            raise invalid("unit", f"{unit} is not accepting transfers.")
        if unit.organization_id != episode.organization_id:
            # The pages and the API offer the organization's own units only; this is the rule.
            raise invalid("unit", "There is no such unit, or it is not taking transfers.")
        current.ended_at = moment
        current.save(update_fields=["ended_at"])
        _check_bed(unit, bed, moment)
        placement = Placement.objects.create(
            episode=episode, unit=unit, bed=bed, started_at=moment, reason=reason[:200]
        )
        record_person_event(
            episode.person,
            actor=actor,
            action=Action.UPDATE,
            target=episode,
            detail={
                "event": "transfer",
                "changes": {
                    "unit": {"old": current.unit.code, "new": unit.code},
                    "bed": {
                        "old": str(current.bed) if current.bed else None,
                        "new": str(bed) if bed else None,
                    },
                },
                "moved_at": moment.isoformat(),
                "reason": reason,
            },
        )
    return placement


def discharge_person(
    episode: Episode, *, actor: Any, disposition: str, discharged_at: datetime | None = None
) -> Episode:
    """Close the episode and its last placement."""
    policy.require(actor, "people.discharge", episode)
    moment = _check_moment(discharged_at, "discharged_at")
    if disposition not in Disposition.values:
        raise invalid("disposition", "Choose a discharge disposition.")
    with transaction.atomic():
        episode = lock_once(episode, "discharged_at", "This episode has already been discharged.")
        current = Placement.objects.select_for_update().current().filter(episode=episode).first()
        if moment <= episode.admitted_at or (current and moment <= current.started_at):
            raise invalid("discharged_at", "The discharge must be after the last move.")
        if current:
            current.ended_at = moment
            current.save(update_fields=["ended_at"])
        episode.discharged_at = moment
        episode.discharged_by_id = policy.actor_for(actor).staff_pk
        episode.disposition = disposition
        episode.save(update_fields=["discharged_at", "discharged_by", "disposition"])
        record_person_event(
            episode.person,
            actor=actor,
            action=Action.UPDATE,
            target=episode,
            detail={
                "event": "discharge",
                "discharged_at": moment.isoformat(),
                "disposition": disposition,
            },
        )
    return episode


# --- Caseloads ---------------------------------------------------------------------------------


def assign_caseload(
    *, actor: Any, staff: Staff, person: PersonServed, kind: str, started_on: date | None = None
) -> CaseloadAssignment:
    """Put a person served on a staff member's caseload."""
    policy.require(actor, "people.assign_caseload", person)
    if kind not in CaseloadKind.values:
        raise invalid("kind", "Choose a kind of assignment.")
    day = started_on or clock.organization_today()
    # The assigner must be able to see the staff member: no assigning strangers from elsewhere.
    if not policy.is_visible(actor, staff):
        raise invalid("staff", "Choose a staff member from your units.")
    if staff.exited_on is not None and staff.exited_on <= day:
        raise invalid("staff", f"{staff} no longer works here.")
    if not staff.roles.filter(code__in=CASELOAD_ROLES).exists():
        raise invalid("staff", f"{staff} does not have a role that carries a caseload.")
    if day < staff.hired_on:
        raise invalid("started_on", f"{staff} starts work on {staff.hired_on:%Y-%m-%d}.")
    with atomic_or_conflict("Someone made this assignment a moment ago; reload the page."):
        if CaseloadAssignment.objects.filter(
            staff=staff, person=person, kind=kind, ended_on__isnull=True
        ).exists():
            raise invalid(None, f"{person} is already on {staff}'s caseload.")
        assignment = CaseloadAssignment.objects.create(
            staff=staff, person=person, kind=kind, started_on=day
        )
        record_person_event(
            person,
            actor=actor,
            action=Action.CREATE,
            target=assignment,
            detail=audit.changes(
                None,
                {"staff": str(staff.public_id), "kind": kind, "started_on": day.isoformat()},
            ),
            purpose=Purpose.OPERATIONS,
        )
    # Caseload is part of scope: drop actors cached for the rest of this request.
    policy.forget(staff.user)
    policy.forget(actor)
    return assignment


def end_caseload(
    assignment: CaseloadAssignment, *, actor: Any, ended_on: date | None = None
) -> CaseloadAssignment:
    """End a caseload assignment on a date (today by default); the history stays."""
    policy.require(actor, "people.assign_caseload", assignment)
    day = ended_on or clock.organization_today()
    with transaction.atomic():
        assignment = lock_once(assignment, "ended_on", "This assignment has already ended.")
        if day < assignment.started_on:
            raise invalid("ended_on", "The end cannot be before the start.")
        assignment.ended_on = day
        assignment.save(update_fields=["ended_on"])
        record_person_event(
            assignment.person,
            actor=actor,
            action=Action.UPDATE,
            target=assignment,
            detail=audit.changes({"ended_on": None}, {"ended_on": day}),
            purpose=Purpose.OPERATIONS,
        )
    policy.forget(assignment.staff.user)
    policy.forget(actor)
    return assignment


# --- Staff -------------------------------------------------------------------------------------


def _roles(codes: Iterable[str]) -> list[Role]:
    codes = list(dict.fromkeys(codes))
    roles = list(Role.objects.filter(code__in=codes))
    missing = set(codes) - {r.code for r in roles}
    if missing:
        raise invalid("roles", f"Unknown roles: {', '.join(sorted(missing))}")
    return roles


def _account_errors(errors: dict[str, list[str]], *, username: str, display_name: str) -> None:
    """Add what is wrong with a new account's sign-in name and display name to ``errors``."""
    if not username:
        errors["username"] = ["This field is required."]
    elif get_user_model().objects.filter(username=username).exists():
        errors["username"] = ["That sign-in name is taken."]
    if not display_name.strip():
        errors["display_name"] = ["This field is required."]


def _password_errors(
    errors: dict[str, list[str]], password: str | None, *, username: str, email: str
) -> None:
    """Add what the password validators say of a new account's password to ``errors``."""
    if password is None:
        return
    try:
        validate_password(password, get_user_model()(username=username, email=email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)


def _new_user(username: str, email: str, password: str | None, **flags: Any) -> Any:
    """A saved sign-in account; ``password=None`` makes one that cannot sign in."""
    user = get_user_model()(username=username, email=email.strip(), **flags)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


def _outside_errors(
    errors: dict[str, list[str]],
    organization_id: int | None,
    *,
    home_units: Iterable[Unit] | None = None,
    programs: Iterable[Any] | None = None,
    supervisor: Staff | None = None,
) -> None:
    """A staff member's home units, programs and supervisor are their own organization's
    (people.tenancy): the forms offer no other, and this is the rule behind them."""
    if supervisor is not None and supervisor.organization_id != organization_id:
        errors["supervisor"] = ["There is no such staff member in this organization."]
    if home_units is not None and any(u.organization_id != organization_id for u in home_units):
        errors["home_units"] = ["Choose units of this organization."]
    if programs is not None and any(p.organization_id != organization_id for p in programs):
        errors["programs"] = ["Choose programs of this organization."]


def create_staff(
    *,
    actor: Any,
    username: str,
    display_name: str,
    hired_on: date,
    roles: Iterable[str],
    home_units: Iterable[Unit] = (),
    email: str = "",
    password: str | None = None,
    job_title: str = "",
    badge_number: str | None = None,
    supervisor: Staff | None = None,
    languages: Iterable[str] = (),
    lived_experience: Iterable[str] = (),
    shares_lived_experience: bool = False,
    programs: Iterable[Any] = (),
) -> Staff:
    """Create a sign-in account and its staff profile, with roles and units."""
    policy.require(actor, "people.edit_staff")
    errors: dict[str, list[str]] = {}
    username = username.strip().lower()
    _account_errors(errors, username=username, display_name=display_name)
    home_units, programs = list(home_units), list(programs)
    _outside_errors(
        errors,
        organization_for(actor),
        home_units=home_units,
        programs=programs,
        supervisor=supervisor,
    )
    badges = Staff.objects.filter(organization_id=organization_for(actor))
    if badge_number and badges.filter(badge_number=badge_number).exists():
        errors["badge_number"] = ["That badge number is in use."]
    if hired_on > clock.organization_today() + timedelta(days=365):
        errors["hired_on"] = ["The hire date is more than a year away."]
    try:
        role_list = _roles(roles)
    except ValidationError as exc:
        role_list = []
        errors["roles"] = list(exc.messages)
    else:
        if not role_list:
            errors["roles"] = ["Give at least one role."]
    if supervisor is not None and "supervisor" not in errors:
        if supervisor.exited_on is not None:
            errors["supervisor"] = [f"{supervisor} no longer works here."]
        elif found := _supervisor_errors(None, supervisor, [r.code for r in role_list]):
            errors["supervisor"] = found
    _password_errors(errors, password, username=username, email=email)
    if errors:
        raise ValidationError(errors)
    with atomic_or_conflict("That sign-in name or badge was taken a moment ago; try again."):
        user = _new_user(username, email, password)
        staff = Staff.objects.create(
            organization_id=organization_for(actor),
            user=user,
            display_name=display_name.strip(),
            job_title=job_title.strip(),
            badge_number=badge_number or None,
            hired_on=hired_on,
            supervisor=supervisor,
            languages=list(languages),
            lived_experience=list(lived_experience),
            shares_lived_experience=shares_lived_experience,
        )
        staff.roles.set(role_list)
        staff.home_units.set(home_units)
        staff.programs.set(programs)
        # Other apps' work on a hire (workforce assigns required courses), before the event
        # that records the hire, in the same transaction.
        hooks.staff_changed(staff, event=hooks.STAFF_HIRED, actor=actor)
        audit.record(
            actor,
            Action.CREATE,
            staff,
            purpose=Purpose.ADMINISTRATION,
            detail=audit.changes(
                None,
                {
                    **audit.snapshot(staff, STAFF_FIELDS),
                    "username": username,
                    "roles": sorted(r.code for r in role_list),
                    "home_units": sorted(u.code for u in staff.home_units.all()),
                    "programs": sorted(p.name for p in staff.programs.all()),
                },
            ),
        )
    return staff


def update_staff(staff: Staff, *, actor: Any, **fields: Any) -> Staff:
    """Change a staff profile's plain fields (not roles: see ``set_roles``)."""
    policy.require(actor, "people.edit_staff", staff)
    allowed = set(STAFF_FIELDS) - {"exited_on", "exit_reason"} | {"home_units", "programs"}
    unknown = set(fields) - allowed
    if unknown:
        raise invalid(None, f"Unknown fields: {', '.join(sorted(unknown))}")
    return _update_staff(staff, actor=actor, fields=fields)


def _staff_values(staff: Staff) -> dict[str, Any]:
    return {
        **audit.snapshot(staff, STAFF_FIELDS),
        "home_units": sorted(u.code for u in staff.home_units.all()),
        "programs": sorted(p.name for p in staff.programs.all()),
    }


def _update_staff(staff: Staff, *, actor: Any, fields: dict[str, Any]) -> Staff:
    errors: dict[str, list[str]] = {}
    for name in ("home_units", "programs"):
        if fields.get(name) is not None:
            fields[name] = list(fields[name])
    _outside_errors(
        errors,
        staff.organization_id,
        home_units=fields.get("home_units"),
        programs=fields.get("programs"),
        supervisor=fields.get("supervisor"),
    )
    if "display_name" in fields:
        fields["display_name"] = str(fields["display_name"] or "").strip()
        if not fields["display_name"]:
            errors["display_name"] = ["This field is required."]
    supervisor = fields.get("supervisor")
    if supervisor is not None and "supervisor" not in errors:
        # Walk up the chain: a supervisor who is (indirectly) supervised by this person would
        # make a loop that the team views and the caseload balance cannot resolve.
        seen, cursor = set(), supervisor
        while cursor is not None and cursor.pk not in seen:
            if cursor.pk == staff.pk:
                errors["supervisor"] = [
                    "A staff member cannot supervise themselves, even through someone else."
                ]
                break
            seen.add(cursor.pk)
            cursor = cursor.supervisor
        if "supervisor" not in errors and supervisor.pk != staff.supervisor_id:
            found = _supervisor_errors(staff, supervisor, staff.role_codes())
            if found:
                errors["supervisor"] = found
    badge = fields.get("badge_number")
    if (
        badge
        and Staff.objects.filter(badge_number=badge, organization_id=staff.organization_id)
        .exclude(pk=staff.pk)
        .exists()
    ):
        errors["badge_number"] = ["That badge number is in use."]
    if "hired_on" in fields and staff.exited_on and fields["hired_on"] > staff.exited_on:
        errors["hired_on"] = ["The hire date is after the exit date."]
    if errors:
        raise ValidationError(errors)
    with atomic_or_conflict("That badge was taken a moment ago; try again."):
        staff = Staff.objects.select_for_update().get(pk=staff.pk)
        before = _staff_values(staff)
        units = fields.pop("home_units", None)
        programs = fields.pop("programs", None)
        for name, value in fields.items():
            setattr(staff, name, value if name != "badge_number" else (value or None))
        staff.save()
        if units is not None:
            staff.home_units.set(list(units))
        if programs is not None:
            staff.programs.set(list(programs))
        after = _staff_values(staff)
        audit.record(
            actor,
            Action.UPDATE,
            staff,
            purpose=Purpose.ADMINISTRATION,
            detail=audit.changes(before, after),
        )
    policy.forget(staff.user)
    return staff


def update_own_profile(
    staff: Staff,
    *,
    actor: Any,
    languages: Iterable[str],
    lived_experience: Iterable[str],
    shares_lived_experience: bool,
) -> Staff:
    """A staff member's own languages and lived experience, and whether colleagues may see the
    lived experience: disclosure is the staff member's choice, never an administrator's."""
    policy.require(actor, "people.edit_own_profile", staff)
    clean_languages = [str(x).strip()[:60] for x in languages if str(x).strip()]
    clean_lived = [str(x).strip()[:100] for x in lived_experience if str(x).strip()]
    if len(clean_languages) > 20 or len(clean_lived) > 20:
        raise invalid(None, "List at most 20 entries.")
    with transaction.atomic():
        staff = Staff.objects.select_for_update().get(pk=staff.pk)
        fields = ["languages", "lived_experience", "shares_lived_experience"]
        before = audit.snapshot(staff, fields)
        staff.languages = clean_languages
        staff.lived_experience = clean_lived
        staff.shares_lived_experience = bool(shares_lived_experience)
        staff.save(update_fields=fields)
        audit.record(
            actor,
            Action.UPDATE,
            staff,
            purpose=Purpose.ADMINISTRATION,
            detail=audit.changes(before, audit.snapshot(staff, fields)),
        )
    return staff


def set_roles(staff: Staff, *, actor: Any, roles: Iterable[str]) -> Staff:
    """Replace a staff member's roles; a privilege change that also ends their sessions."""
    policy.require(actor, "people.change_roles", staff)
    role_list = _roles(roles)
    if not role_list:
        raise invalid("roles", "Give at least one role.")
    with transaction.atomic():
        # The row lock orders two administrators changing the same person's roles at once.
        locked = Staff.objects.select_for_update().filter(pk=staff.pk).first()
        before = sorted(staff.roles.values_list("code", flat=True))
        # A role gained is checked against their supervisor as a new supervisee of that role
        # would be (who may supervise whom, and the supervisor's load limit).
        gained = [r.code for r in role_list if r.code not in before]
        supervisor = locked.supervisor if locked is not None else None
        if (
            gained
            and supervisor is not None
            and supervisor.exited_on is None
            and (found := _supervisor_errors(staff, supervisor, gained))
        ):
            raise ValidationError({"roles": found})
        if RoleCode.ADMIN in before and RoleCode.ADMIN not in {r.code for r in role_list}:
            _keep_an_admin(staff)
        staff.roles.set(role_list)
        after = sorted(r.code for r in role_list)
        if before != after:
            # Sessions and API tokens alike: a token made under the old roles (without a
            # second step they did not ask for) must not carry the new ones' rights.
            revoke_everywhere(staff.user, reason="roles changed", actor=actor)
            hooks.staff_changed(staff, event=hooks.ROLES_CHANGED, actor=actor)
            audit.record(
                actor,
                Action.PRIVILEGE_CHANGE,
                staff,
                purpose=Purpose.ADMINISTRATION,
                detail=audit.changes({"roles": before}, {"roles": after}),
            )
    policy.forget(staff.user)
    return staff


def _keep_an_admin(staff: Staff) -> None:
    """Refuse to remove the organization's last employed administrator: nobody could fix its
    roles afterwards (another organization's administrator cannot)."""
    today = clock.organization_today()
    others = (
        Staff.objects.filter(
            roles__code=RoleCode.ADMIN,
            user__is_active=True,
            organization_id=staff.organization_id,
        )
        .exclude(pk=staff.pk)
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=today))
    )
    if not others.exists():
        raise invalid("roles", "Pillars needs at least one administrator; add another first.")


def exit_staff(staff: Staff, *, actor: Any, exited_on: date, exit_reason: str) -> Staff:
    """Record a departure: the account is deactivated and all its sessions end; open caseload
    assignments end on the exit date so nobody is left on a departed worker's caseload."""
    policy.require(actor, "people.edit_staff", staff)
    if exit_reason not in ExitReason.values:
        raise invalid("exit_reason", "Choose a reason for leaving.")
    if exited_on < staff.hired_on:
        raise invalid("exited_on", "The exit date is before the hire date.")
    with transaction.atomic():
        staff = lock_once(staff, "exited_on", f"{staff} has already left.")
        if staff.roles.filter(code=RoleCode.ADMIN).exists():
            _keep_an_admin(staff)
        before = audit.snapshot(staff, ["exited_on", "exit_reason"])
        staff.exited_on, staff.exit_reason = exited_on, exit_reason
        staff.save(update_fields=["exited_on", "exit_reason"])
        user = staff.user
        if exited_on <= clock.organization_today():
            user.is_active = False
            user.save(update_fields=["is_active"])
            revoke_everywhere(user, reason="account disabled", actor=actor)
        ended = []
        for assignment in CaseloadAssignment.objects.select_for_update().filter(
            staff=staff, ended_on__isnull=True
        ):
            assignment.ended_on = max(exited_on, assignment.started_on)
            assignment.save(update_fields=["ended_on"])
            ended.append(str(assignment.public_id))
        audit.record(
            actor,
            Action.PRIVILEGE_CHANGE,
            staff,
            purpose=Purpose.ADMINISTRATION,
            detail={
                **audit.changes(before, audit.snapshot(staff, ["exited_on", "exit_reason"])),
                "caseload_ended": ended,
            },
        )
    policy.forget(staff.user)
    return staff


def set_pin(staff: Staff, *, actor: Any, pin: str) -> None:
    """Set the PIN a staff member uses to switch in on a trusted unit tablet (own PIN only)."""
    acting = policy.actor_for(actor)
    if acting.staff_id != staff.pk:
        raise policy_denied()
    if not (pin.isdigit() and 6 <= len(pin) <= 8):
        raise invalid("pin", "A PIN is 6 to 8 digits.")
    if len(set(pin)) == 1 or pin in "0123456789012345" or pin in "9876543210987654":
        raise invalid("pin", "Choose a PIN that is not a run or a repeated digit.")
    if not staff.badge_number:
        raise invalid("pin", "You need a badge number before you can set a PIN.")
    with transaction.atomic():
        Staff.objects.filter(pk=staff.pk).update(pin_hash=make_password(pin))
        audit.record(
            actor,
            Action.UPDATE,
            staff,
            purpose=Purpose.SECURITY,
            detail={"changes": {"pin": "changed"}},
        )


def check_pin(staff: Staff | None, pin: str) -> bool:
    """Whether a PIN is the staff member's. Without a staff member or a PIN hash it still runs
    the hasher once, so the time taken does not tell which badge numbers exist."""
    if staff is None or not staff.pin_hash:
        make_password(pin)
        return False
    return check_password(pin, staff.pin_hash)


def confirm_pin(
    staff: Staff, pin: str, *, actor: Any, target: models.Model, event: str, field: str = "pin"
) -> None:
    """A staff member confirms a signature with their badge PIN on a shared tablet (a relief
    handoff, a shift handoff). Wrong PINs are kept on the record (audited, durable), and after
    as many as the sign-in lockout allows (PILLARS_LOCKOUT_FAILURES within
    PILLARS_LOCKOUT_MINUTES) that staff member's PIN is refused until the time has passed, so
    nobody can try a colleague's PIN over and over."""
    from django.conf import settings

    from pillars.audit.choices import Outcome
    from pillars.audit.models import AuditEvent

    since = clock.now() - settings.AXES_COOLOFF_TIME
    failures = AuditEvent.objects.filter(
        occurred_at__gte=since,
        outcome=Outcome.FAILED,
        detail__pin_staff=str(staff.public_id),
    ).count()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if failures >= settings.AXES_FAILURE_LIMIT:
        raise invalid(
            field,
            f"Too many wrong PINs for {staff.display_name}: PIN signing is locked for up to "
            f"{minutes} minutes. Nothing was signed.",
        )
    if check_pin(staff, pin or ""):
        return
    audit.record(
        actor,
        Action.UPDATE,
        target,
        outcome=Outcome.FAILED,
        purpose=Purpose.SECURITY,
        detail={"event": event, "refusal": "wrong_pin", "pin_staff": str(staff.public_id)},
        durable=True,
    )
    raise invalid(field, f"That PIN does not match {staff.display_name}'s badge PIN.")


def policy_denied() -> Exception:
    return PermissionDenied("You do not have permission to do that.")


# --- Emergency access ("break the glass") ------------------------------------------------------


def start_emergency_access(
    person: PersonServed, *, actor: Any, reason: str, minutes: int = EMERGENCY_ACCESS_MINUTES
) -> EmergencyAccess:
    """Open a time-boxed grant to one person's record; it lands in privacy's review queue."""
    acting = policy.require(actor, "people.break_glass")
    reason = reason.strip()
    if len(reason) < 10:
        raise invalid("reason", "Say why you need this record now (at least 10 characters).")
    if not 1 <= minutes <= 240:
        raise invalid("minutes", "Emergency access lasts between 1 minute and 4 hours.")
    now = clock.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            staff_id=acting.staff_pk,
            person=person,
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        record_person_event(
            person,
            actor=actor,
            action=Action.EMERGENCY_ACCESS,
            target=grant,
            detail={"reason": reason, "expires_at": grant.expires_at.isoformat()},
            purpose=Purpose.EMERGENCY,
        )
    policy.forget(actor)
    return grant


def review_emergency_access(
    grant: EmergencyAccess, *, actor: Any, finding: str, note: str = ""
) -> EmergencyAccess:
    """The privacy officer's finding on one emergency access."""
    acting = policy.require(actor, "people.review_emergency_access", grant)
    if finding not in ReviewFinding.values:
        raise invalid("finding", "Choose a finding.")
    if finding == ReviewFinding.INAPPROPRIATE and not note.strip():
        raise invalid("note", "Say what was inappropriate.")
    with transaction.atomic():
        grant = lock_once(grant, "reviewed_at", "This access has already been reviewed.")
        if grant.is_active_at(clock.now()):
            # The finding covers everything done in the window (selectors.events_during): a
            # review before it closes would leave the rest of the window unreviewed.
            raise invalid(None, "This access is still open; review it once its window closes.")
        grant.reviewed_by_id = acting.staff_pk
        grant.reviewed_at = clock.now()
        grant.finding = finding
        grant.review_note = note.strip()
        grant.save(update_fields=["reviewed_by", "reviewed_at", "finding", "review_note"])
        record_person_event(
            grant.person,
            actor=actor,
            action=Action.UPDATE,
            target=grant,
            detail=audit.changes(
                {"finding": "", "review_note": ""},
                {"finding": finding, "review_note": grant.review_note},
            ),
            purpose=Purpose.OVERSIGHT,
        )
    return grant


# --- Reference data (the Django admin) ---------------------------------------------------------


# Other apps' reference data (lists an administrator keeps: de-escalation steps, notification
# rules), added by their AppConfig.ready so that they are saved and audited the same way.
_more_reference: list[type[models.Model]] = []


def add_reference_models(*more: type[models.Model]) -> None:
    _more_reference.extend(m for m in more if m not in _more_reference)


def _reference_models() -> tuple[type[models.Model], ...]:
    return (Organization, Site, Unit, Program, Room, Bed, Role, *_more_reference)


def save_reference(
    instance: models.Model,
    *,
    actor: Any,
    m2m: dict[str, Iterable[models.Model]] | None = None,
) -> models.Model:
    """Create or change one row of reference data (organization, site, unit, program, room, bed,
    role, and what other apps add) with its old and new values audited in the same transaction.
    The Django admin calls this; reference data is never deleted, only deactivated where the
    model allows."""
    policy.require(actor, "people.edit_unit")
    if not isinstance(instance, _reference_models()):
        raise TypeError(f"{type(instance).__name__} is not reference data")
    model = type(instance)
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    m2m = m2m or {}
    created = instance._state.adding
    with transaction.atomic():
        before: dict[str, Any] | None = None
        if not created:
            old = model._default_manager.select_for_update().get(pk=instance.pk)
            _own_reference(actor, old)
        _own_reference(actor, instance, created=created)
        for values in m2m.values():
            for value in values:
                _own_reference(actor, value, linked=True)
        if not created:
            before = audit.snapshot(old, fields)
            for name in m2m:
                before[name] = _m2m_names(old, name)
        instance.save()
        after = audit.snapshot(instance, fields)
        for name, values in m2m.items():
            getattr(instance, name).set(list(values))
            after[name] = _m2m_names(instance, name)
        audit.record(
            actor,
            Action.CREATE if created else Action.UPDATE,
            instance,
            category=Category.NONE,
            purpose=Purpose.ADMINISTRATION,
            detail=audit.changes(before, after),
        )
    return instance


def may_change_shared(actor: Any) -> bool:
    """Whether ``actor`` may change the reference rows every organization shares (roles and
    their rights, versioned rules such as observation levels, instruments): the staff of an
    installation that serves one organization, or the installation's operator (a Django
    superuser) where it serves several. One organization's staff must not change another's
    rights or floor rules."""
    if getattr(actor, "is_superuser", False):
        return True
    mine = organization_for(actor)
    return not Organization.objects.exclude(pk=mine).exists()


def set_operator(username: str, *, operator: bool, label: str = "pillars operator") -> Any:
    """Make an administrator the installation's operator (a Django superuser), or no longer:
    who changes the roles and rules every organization shares where the installation serves
    several (``may_change_shared``). Run from the command line, by whoever runs the servers;
    audited as a privilege change with the old and new flag."""
    username = username.strip().lower()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise invalid("username", f"No account is named {username!r}.")
    staff = Staff.objects.filter(user=user).first()
    if operator and (
        staff is None
        or not user.is_active
        or not staff.roles.filter(code=RoleCode.ADMIN).exists()
        or staff.exited_on is not None
    ):
        raise invalid("username", f"{username} is not an active administrator.")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        before = bool(user.is_superuser)
        if before == operator:
            return user
        user.is_superuser = operator
        user.save(update_fields=["is_superuser"])
        audit.record(
            actor=None,
            actor_label=label,
            action=Action.PRIVILEGE_CHANGE,
            target=staff if staff is not None else user,
            purpose=Purpose.SECURITY,
            detail={
                "event": "installation operator",
                "username": user.username,
                **audit.changes({"operator": before}, {"operator": operator}),
            },
        )
    return user


def refuse_shared_change(actor: Any, model: type[models.Model]) -> None:
    """``core.versioning``'s guard: the next version of a rule every organization shares is
    refused to whoever ``may_change_shared`` does not allow (a rule an organization owns is
    its own service's to check)."""
    if organization_column(model) is None and not may_change_shared(actor):
        raise PermissionDenied(
            "Every organization of this installation shares this rule: only the "
            "installation's operator changes it."
        )


def _own_reference(
    actor: Any, row: models.Model, *, created: bool = False, linked: bool = False
) -> None:
    """Refuse a reference row the actor's organization does not own: another organization's
    row (a site, unit, program, room, bed, or the organization itself), a new organization, or
    a row every organization shares, changed by someone who may not (``may_change_shared``).
    A shared row ``linked`` to (a choice in a many-to-many field) is not changed: allowed."""
    column = organization_column(type(row))
    if column is None:
        if not linked:
            refuse_shared_change(actor, type(row))
        return
    if created and isinstance(row, Organization):
        raise PermissionDenied(
            "A new organization is set up with its first administrator, not here."
        )
    fill_organizations([row])
    if getattr(row, column) != organization_for(actor):
        raise policy_denied()


def _m2m_names(instance: models.Model, name: str) -> list[str]:
    return sorted(str(getattr(o, "public_id", o.pk)) for o in getattr(instance, name).all())


# --- Trusted unit tablets ----------------------------------------------------------------------


def register_device(*, actor: Any, unit: Unit, name: str) -> tuple[TrustedDevice, str]:
    """Make this browser a trusted tablet for a unit; returns the device and its cookie secret."""
    acting = policy.require(actor, "people.register_device", unit)
    name = name.strip()
    if not name:
        raise invalid("name", "Name the tablet (for example 'North nurses station').")
    if len(name) > 100:
        raise invalid("name", "Keep the tablet's name to 100 characters or fewer.")
    if not unit.is_active:
        raise invalid("unit", f"{unit} is closed; choose an open unit.")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = TrustedDevice.objects.create(
            unit=unit,
            name=name,
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            registered_by_id=acting.staff_pk,
            registered_at=clock.now(),
        )
        audit.record(
            actor,
            Action.CREATE,
            device,
            purpose=Purpose.SECURITY,
            detail={"unit": unit.code, "name": device.name},
        )
    return device, secret


def device_for_secret(secret: str | None) -> TrustedDevice | None:
    """The trusted tablet a device-cookie secret names, unless it was revoked."""
    if not secret:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return (
        TrustedDevice.objects.select_related("unit")
        .filter(token_hash=digest, revoked_at__isnull=True, unit__is_active=True)
        .first()
    )


def enroll_on_device(
    device: TrustedDevice, staff: Staff, *, signed_in_at: datetime | None = None
) -> DeviceEnrollment:
    """Remember a full sign-in (password, and second step when the role needs one) on a tablet;
    badge and PIN work there for ``QUICK_SWITCH_VALID_HOURS`` after it.

    Called by the sign-in machinery, not by a person: the acting user is the staff member who
    just proved who they are, so there is no policy to check.
    """
    moment = signed_in_at or clock.now()
    with transaction.atomic():
        enrollment, _ = DeviceEnrollment.objects.update_or_create(
            device=device, staff=staff, defaults={"full_sign_in_at": moment}
        )
        audit.record(
            staff.user,
            Action.UPDATE,
            device,
            purpose=Purpose.SECURITY,
            detail={"event": "tablet_enrollment", "full_sign_in_at": moment.isoformat()},
        )
    return enrollment


def may_quick_switch(device: TrustedDevice, staff: Staff) -> bool:
    """Badge + PIN only on a tablet that is not revoked, for active staff who fully signed in on
    it within the last ``QUICK_SWITCH_VALID_HOURS``, and never for roles that need two-factor
    sign-in (a PIN is not a second factor)."""
    if device.revoked_at is not None or not staff.user.is_active:
        return False
    if staff.exited_on is not None and staff.exited_on <= clock.organization_today():
        return False
    if staff.roles.filter(requires_two_factor=True).exists():
        return False
    cutoff = clock.now() - timedelta(hours=QUICK_SWITCH_VALID_HOURS)
    return DeviceEnrollment.objects.filter(
        device=device, staff=staff, full_sign_in_at__gte=cutoff
    ).exists()


__all__ = [
    "admit_person",
    "assign_caseload",
    "create_person",
    "create_staff",
    "discharge_person",
    "end_caseload",
    "exit_staff",
    "import_person",
    "register_device",
    "review_emergency_access",
    "save_reference",
    "set_operator",
    "set_pin",
    "set_roles",
    "start_emergency_access",
    "transfer_person",
    "update_own_profile",
    "update_person",
    "update_staff",
]


# --- The first administrator -----------------------------------------------------------------


def _bootstrap_organization(name: str, label: str) -> Organization:
    """The named organization, made (and audited) when it does not exist yet."""
    org = Organization.objects.filter(name=name).first()
    if org is None:
        org = Organization.objects.create(name=name)
        audit.record(
            actor=None,
            actor_label=label,
            action=Action.CREATE,
            target=org,
            purpose=Purpose.ADMINISTRATION,
            detail={"bootstrap": True, **audit.changes(None, {"name": name})},
        )
    return org


def bootstrap_administrator(
    *,
    username: str,
    display_name: str,
    password: str | None,
    email: str = "",
    label: str = "pillars bootstrap",
    hired_on: date | None = None,
    job_title: str = "",
    organization: str = "",
) -> Staff:
    """Create the first administrator of a new installation: the one write with nobody to act
    as, so it is allowed only while no active administrator exists, and audited as a bootstrap.
    ``password=None`` makes an account that cannot sign in (the demo's setup account).

    The administrator belongs to ``organization`` (by name: made when it does not exist yet);
    with no name, to the one organization there is. Every record belongs to an organization
    (people.tenancy), staff included."""
    username = username.strip().lower()
    errors: dict[str, list[str]] = {}
    org_name = " ".join(organization.split())
    existing = list(Organization.objects.order_by("pk")[:2])
    if len(org_name) > Organization._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["organization"] = ["That name is too long (200 characters at most)."]
    elif not org_name and len(existing) != 1:
        errors["organization"] = [
            "Name the organization this installation serves."
            if not existing
            else "Several organizations exist: name the administrator's."
        ]
    _account_errors(errors, username=username, display_name=display_name)
    _password_errors(errors, password, username=username, email=email)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        admins = Staff.objects.filter(
            roles__code=RoleCode.ADMIN, user__is_active=True, exited_on__isnull=True
        )
        if admins.exists():
            raise invalid(None, "An administrator exists already: they create the others.")
        org = _bootstrap_organization(org_name, label) if org_name else existing[0]
        user = _new_user(username, email, password, is_staff=password is not None)
        staff = Staff.objects.create(
            organization=org,
            user=user,
            display_name=display_name.strip(),
            job_title=job_title,
            hired_on=hired_on or clock.organization_today(),
        )
        staff.roles.set(Role.objects.filter(code=RoleCode.ADMIN))
        audit.record(
            actor=None,
            actor_label=label,
            action=Action.CREATE,
            target=staff,
            purpose=Purpose.ADMINISTRATION,
            detail={
                "bootstrap": True,
                **audit.changes(
                    None,
                    {
                        "username": username,
                        "roles": [RoleCode.ADMIN],
                        "usable_password": password is not None,
                    },
                ),
            },
        )
    return staff
