"""Who may see and do what with people, units and staff (DESIGN.md rule 5).

Scope: a person served is visible to staff of the unit they are placed on now (or of a program
that includes it), to staff with them on caseload, to those staff members' supervisors, to an
active emergency-access grant, and to organization-wide roles. Staff are visible to colleagues
who share a unit, to their supervisor and supervisees, and to organization-wide roles and
administrators. Units are visible to their own staff, to organization-wide roles and to
administrators.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, cast

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock, exports, policy, prepared
from pillars.core.entry import one_row
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people import labels, tenancy
from pillars.people.consent_models import RecipientKind
from pillars.people.models import (
    Alert,
    CaseloadAssignment,
    Consent,
    ConsentRecipient,
    EmergencyAccess,
    Episode,
    PersonServed,
    Placement,
    Program,
    Role,
    Staff,
    StaffHomeUnit,
    Unit,
)

CARE_TEAM = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER, R.SUPERVISOR)


def person_of(obj: Any) -> PersonServed | None:
    """The person served a record is about: the record itself, or its ``person``."""
    person = obj if isinstance(obj, PersonServed) else getattr(obj, "person", None)
    return person if isinstance(person, PersonServed) else None


def writes_in_ordinary_scope(actor: Actor, person: PersonServed | None) -> bool:
    """Emergency access is for reading: writing about a person the actor sees only through an
    emergency grant needs the ordinary scope (unit, caseload, supervision). No person: allowed
    (the action's roles decide)."""
    if person is None or person.pk not in actor.emergency_person_ids:
        return True
    return visible_without_emergency(actor, person)


def ordinary_scope(actor: Actor, obj: Any) -> bool:
    """``writes_in_ordinary_scope`` for a person or a record that names one (``person``): the
    check of every action that changes a person's record or placement."""
    return writes_in_ordinary_scope(actor, person_of(obj))


EVERYONE = tuple(R)

ACTIONS = {
    "people.view_person": rule(*CARE_TEAM, R.DIRECTOR, description="open a person served"),
    "people.list_persons": rule(*CARE_TEAM, R.DIRECTOR, description="list and search persons"),
    "people.create_person": rule(R.NURSE, R.CLINICIAN, scope="write"),
    "people.edit_person": rule(R.NURSE, R.CLINICIAN, check=ordinary_scope, scope="write"),
    "people.admit": rule(R.NURSE, R.CLINICIAN, check=ordinary_scope, scope="write"),
    "people.transfer": rule(R.NURSE, R.CLINICIAN, check=ordinary_scope, scope="write"),
    "people.discharge": rule(R.NURSE, R.CLINICIAN, check=ordinary_scope, scope="write"),
    "people.assign_caseload": rule(
        R.NURSE, R.CLINICIAN, R.SUPERVISOR, check=ordinary_scope, scope="write"
    ),
    "people.view_unit": rule(*EVERYONE),
    "people.view_census": rule(*CARE_TEAM, R.DIRECTOR),
    "people.edit_unit": rule(R.ADMIN, scope="write"),
    "people.view_staff": rule(*EVERYONE),
    # Hire and exit dates and the reason for leaving are employment records: administrators,
    # directors (turnover reports) and the staff member themself.
    "people.view_employment": rule(
        *EVERYONE,
        check=lambda a, o: a.has_role(R.ADMIN, R.DIRECTOR) or _is_self(a, o),
        description="see hire and exit dates and the reason for leaving",
    ),
    "people.edit_staff": rule(R.ADMIN, scope="write"),
    # Lived experience is disclosed only by the staff member's own choice (DESIGN.md people).
    "people.edit_own_profile": rule(
        *EVERYONE,
        check=lambda a, o: _is_self(a, o),
        scope="write",
        description="change one's own languages and lived-experience sharing",
    ),
    "people.change_roles": rule(R.ADMIN, scope="write"),
    "people.import": rule(R.ADMIN, scope="write"),
    "people.break_glass": rule(
        R.NURSE, R.CLINICIAN, check=lambda a, o: a.may_break_glass, scope="write"
    ),
    # Separation of duties: a privacy officer who may also break the glass (a nurse or
    # clinician as well) never reviews their own emergency access.
    "people.review_emergency_access": rule(
        R.PRIVACY,
        check=lambda a, o: not isinstance(o, EmergencyAccess) or o.staff_id != a.staff_id,
        scope="write",
    ),
    "people.register_device": rule(R.NURSE, R.ADMIN, scope="write"),
    # Sign-in access (lockouts, two-step device, badge PIN, tablets): another administrator
    # restores an administrator's own, so one stolen session cannot re-arm its own account.
    "people.manage_access": rule(
        R.ADMIN,
        check=lambda a, o: not _is_self(a, o),
        scope="write",
        description="see and reset a staff member's sign-in lockout, two-step device, PIN "
        "and tablets",
    ),
    # Part 2 consents (42 CFR 2.31): the person's team and the privacy officer read, record
    # and take a written revocation; the accounting of disclosures is the privacy officer's.
    "people.view_consents": rule(
        *CARE_TEAM, R.DIRECTOR, R.PRIVACY, description="read a person's Part 2 consents"
    ),
    "people.record_consent": rule(
        R.NURSE,
        R.CLINICIAN,
        R.PRIVACY,
        check=lambda a, o: ordinary_scope(a, o) and _discloses(a),
        scope="write",
        description="record a signed Part 2 consent",
    ),
    "people.revoke_consent": rule(
        R.NURSE,
        R.CLINICIAN,
        R.PRIVACY,
        check=ordinary_scope,
        scope="write",
        description="record a written revocation or the expiry event of a consent",
    ),
    "people.view_disclosures": rule(
        R.PRIVACY, description="a person's accounting of Part 2 disclosures"
    ),
    # Alerts are the recipient's own (any app raises them through people.alerts).
    "people.view_alerts": rule(*CARE_TEAM, R.DIRECTOR, description="own alert inbox"),
    # Acknowledging is a write (a read-only API token may not); the Alert scope below already
    # limits it to the recipient, the check says so again where the rule is read.
    "people.acknowledge_alert": rule(
        *CARE_TEAM,
        R.DIRECTOR,
        check=lambda a, o: not isinstance(o, Alert) or o.recipient_id == a.staff_id,
        scope="write",
        description="acknowledge one's own alert",
    ),
}


def _discloses(actor: Actor) -> bool:
    """A consent is recorded by whoever may disclose under it: the team of a Part 2 program
    (for its own records) or the privacy officer. Anyone else could name themself on one."""
    if actor.has_role(R.PRIVACY):
        return True
    return Unit.objects.filter(pk__in=actor.unit_ids, is_substance_use_program=True).exists()


def _is_self(actor: Actor, obj: Any) -> bool:
    return isinstance(obj, Staff) and actor.staff_id is not None and obj.pk == actor.staff_id


def load_actor(user: Any) -> Actor:
    """Everything the policy layer needs about a signed-in user: every request pays for this, so
    it is one query (one UNION ALL of the roles and the id sets) when the profile came with the
    user (the sign-in backends and the token lookup load it), two otherwise."""
    staff = _profile(user)
    now = clock.now()
    if (
        staff is None
        or not user.is_active
        or (staff.exited_on is not None and staff.exited_on <= clock.organization_today())
    ):
        return Actor(user=user)
    # The page shell shows user.staff; keep the profile we just loaded instead of a new query.
    user.staff = staff
    sets: dict[str, set[int]] = {"unit": set(), "caseload": set(), "supervisee": set()}
    sets["emergency"] = set()
    sets["consent"] = set()
    roles: list[_RoleRow] = []
    extra: dict[str, Any] = {}
    for pk, tag in _scope_rows(staff.pk, now, inbox=not getattr(user, policy.API_USER, False)):
        if tag.startswith(ROLE_TAG):
            roles.append(_RoleRow.of(tag))
        elif tag == INBOX_TAG:
            extra[INBOX_AT_START] = pk
        else:
            sets[tag].add(pk)
    return Actor(
        user=user,
        staff_id=staff.pk,
        organization_id=staff.organization_id,
        roles=frozenset(r.code for r in roles),
        unit_ids=frozenset(sets["unit"]),
        is_org_wide=any(r.is_org_wide for r in roles),
        may_break_glass=any(r.may_break_glass for r in roles),
        requires_two_factor=any(r.requires_two_factor for r in roles),
        caseload_person_ids=frozenset(sets["caseload"]),
        supervisee_staff_ids=frozenset(sets["supervisee"]),
        emergency_person_ids=frozenset(sets["emergency"]),
        consent_ids=frozenset(sets["consent"]),
        extra=extra,
    )


# The scope query also counts the staff member's alerts waiting (not acknowledged, their cause
# not resolved), for the top bar's badge: every page shows it, and a page that writes nothing
# reads it here instead of in a query of its own (``alert_selectors.unacknowledged_count``).
INBOX_TAG = "inbox"
INBOX_AT_START = "inbox-at-start"

# A role row of the scope query is tagged "role:" + three flags (1 or 0: organization-wide, may
# break the glass, needs two factors) + ":" + the role's code.
ROLE_TAG = "role:"


@dataclass(frozen=True)
class _RoleRow:
    code: str
    is_org_wide: bool
    may_break_glass: bool
    requires_two_factor: bool

    @classmethod
    def of(cls, tag: str) -> _RoleRow:
        flags, _, code = tag.removeprefix(ROLE_TAG).partition(":")
        return cls(code, flags[0] == "1", flags[1] == "1", flags[2] == "1")


def _flag(column: str) -> str:
    return f"CASE WHEN ro.{column} THEN '1' ELSE '0' END"


@functools.cache
def _scope_sql(inbox: bool) -> str:
    """The actor's roles and id sets as one UNION ALL of (id, tag) rows: the staff member's
    roles (``ROLE_TAG``), home units, units of the staff member's programs, persons on their
    caseload today, their supervisees, and persons named by their emergency-access grants in
    force, the Part 2 consents not revoked or past their date that may name them (by name,
    role, unit or as a treating provider; ``people.consents`` decides), and how many of their
    alerts are waiting (``INBOX_TAG``: the count in the id's place; not for an API request,
    which shows no page). Written out by hand because every request runs it: building it
    through the ORM cost more than running it."""
    home = Staff._meta.get_field("home_units")
    alert = Alert._meta
    inbox_count = f"""
        SELECT COUNT(*), '{INBOX_TAG}' FROM {alert.db_table} a
         WHERE a.{alert.get_field("recipient").column} = %(staff)s
           AND a.{alert.get_field("acknowledged_at").column} IS NULL
           AND a.{alert.get_field("resolved_at").column} IS NULL
        UNION ALL"""  # noqa: S608
    programs = Staff._meta.get_field("programs")
    program_units = Program._meta.get_field("units")
    roles = Staff._meta.get_field("roles")
    # Only model metadata is formatted in; every value is a parameter.
    flags = " || ".join(
        _flag(column) for column in ("is_org_wide", "may_break_glass", "requires_two_factor")
    )
    return f"""
        SELECT ro.id, '{ROLE_TAG}' || {flags} || ':' || ro.code
          FROM {roles.m2m_db_table()} sr
          JOIN {Role._meta.db_table} ro ON ro.id = sr.{roles.m2m_reverse_name()}
         WHERE sr.{roles.m2m_column_name()} = %(staff)s
        UNION ALL
        SELECT hu.{home.m2m_reverse_name()}, 'unit' FROM {home.m2m_db_table()} hu
         WHERE hu.{home.m2m_column_name()} = %(staff)s
        UNION ALL
        SELECT pu.{program_units.m2m_reverse_name()}, 'unit'
          FROM {program_units.m2m_db_table()} pu
          JOIN {programs.m2m_db_table()} sp
            ON sp.{programs.m2m_reverse_name()} = pu.{program_units.m2m_column_name()}
         WHERE sp.{programs.m2m_column_name()} = %(staff)s
        UNION ALL
        SELECT c.person_id, 'caseload' FROM {CaseloadAssignment._meta.db_table} c
         WHERE c.staff_id = %(staff)s AND c.started_on <= %(today)s
           AND (c.ended_on IS NULL OR c.ended_on >= %(today)s)
        UNION ALL
        SELECT s.id, 'supervisee' FROM {Staff._meta.db_table} s WHERE s.supervisor_id = %(staff)s
        UNION ALL
        SELECT e.person_id, 'emergency' FROM {EmergencyAccess._meta.db_table} e
         WHERE e.staff_id = %(staff)s AND e.started_at <= %(now)s AND e.expires_at > %(now)s
        UNION ALL{inbox_count if inbox else ""}
        SELECT DISTINCT c.id, 'consent' FROM {Consent._meta.db_table} c
          JOIN {ConsentRecipient._meta.db_table} r ON r.consent_id = c.id
         WHERE c.revoked_at IS NULL AND (c.expires_on IS NULL OR c.expires_on >= %(yesterday)s)
           AND (r.staff_id = %(staff)s OR r.kind = %(treating)s
                OR r.role IN (
                    SELECT ro.code FROM {roles.m2m_db_table()} sr
                      JOIN {Role._meta.db_table} ro ON ro.id = sr.{roles.m2m_reverse_name()}
                     WHERE sr.{roles.m2m_column_name()} = %(staff)s)
                OR r.unit_id IN (
                    SELECT h2.{home.m2m_reverse_name()} FROM {home.m2m_db_table()} h2
                     WHERE h2.{home.m2m_column_name()} = %(staff)s)
                OR r.unit_id IN (
                    SELECT p2.{program_units.m2m_reverse_name()}
                      FROM {program_units.m2m_db_table()} p2
                      JOIN {programs.m2m_db_table()} s2
                        ON s2.{programs.m2m_reverse_name()} = p2.{program_units.m2m_column_name()}
                     WHERE s2.{programs.m2m_column_name()} = %(staff)s))
    """  # noqa: S608


def _scope_rows(staff_pk: int, now: datetime, *, inbox: bool) -> list[tuple[int, str]]:
    ops = connection.ops
    params = {
        "staff": staff_pk,
        "today": ops.adapt_datefield_value(clock.organization_today()),
        "now": ops.adapt_datetimefield_value(now),
        # A day's leeway for the time zones; people.consents judges the expiry exactly.
        "yesterday": ops.adapt_datefield_value(now.date() - timedelta(days=1)),
        "treating": RecipientKind.TREATING_PROVIDERS.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_scope_sql(inbox), params)
        return [(int(pk), str(tag)) for pk, tag in cursor.fetchall()]


def _profile(user: Any) -> Staff | None:
    """The user's staff profile (its roles come with the scope query). A profile that came in
    the same query as the user (``with_profile``: the sign-in backends, the token lookup) is
    used once; any other load reads afresh, so a cached actor that was forgotten sees the
    profile as it is now."""
    related = Staff.user.field.remote_field
    if not (policy.take_loaded_with_user(user) and related.is_cached(user)):
        return one_row(Staff.objects.filter(user=user))
    return cast(Staff | None, related.get_cached_value(user))


def _supervised_caseload_q(actor: Actor, person: str = "pk") -> Q:
    if not actor.supervisee_staff_ids:
        return Q(pk__in=[])
    today = clock.organization_today()
    active = CaseloadAssignment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today),
        started_on__lte=today,
        person=OuterRef(person),
        staff_id__in=sorted(actor.supervisee_staff_ids),
    )
    return Q(Exists(active))


def person_scope_q(actor: Actor, person: str = "pk") -> Q:
    """Who the actor may see, as a condition on a path to the person served (``"pk"`` on
    persons, ``"person"`` on records that name one). Correlated to the candidate rows, so a
    record list costs what its own rows cost, not a scan of every person served. Not for
    organization-wide actors (they see everyone; callers check first).

    Built once per actor (a request), path and day: a page restricts several kinds of records
    to the same persons, and a query copies the condition's subqueries before resolving them,
    so the one kept is never changed. A changed scope is a new actor (``policy.forget``)."""
    if not actor.is_authenticated:
        return _person_scope_q(actor, person)
    day = clock.organization_today() if actor.supervisee_staff_ids else ""
    key = f"person-scope-q:{person}:{day}"
    found = actor.extra.get(key)
    if found is None:
        found = actor.extra[key] = _person_scope_q(actor, person)
    return cast(Q, found)


def _person_scope_q(actor: Actor, person: str) -> Q:
    ids = "pk" if person == "pk" else f"{person}_id"
    on_unit = Placement.objects.filter(
        episode__person=OuterRef(person), ended_at__isnull=True, unit_id__in=sorted(actor.unit_ids)
    )
    return (
        Q(Exists(on_unit))
        | Q(**{f"{ids}__in": sorted(actor.caseload_person_ids)})
        | Q(**{f"{ids}__in": sorted(actor.emergency_person_ids)})
        | (_supervised_caseload_q(actor, person) if actor.supervisee_staff_ids else Q(pk__in=[]))
    )


def _placed_on_units(actor: Actor, person: PersonServed) -> bool:
    read = person.__dict__.get(PLACED_ON_UNITS)
    if read is not None and read[0] == actor.unit_ids:
        return bool(read[1])
    return Placement.objects.filter(
        episode__person_id=person.pk, ended_at__isnull=True, unit_id__in=actor.unit_ids
    ).exists()


def restrict_persons(actor: Actor, qs: QuerySet[PersonServed]) -> QuerySet[PersonServed]:
    return restrict_by_person("pk")(actor, qs)


# Where a read of a person (``get_person_for``) or of a record about one (the check API's order)
# leaves, for the scope check that follows it, whether the person is placed now on one of the
# actor's units (read in the same query): the units it was read for and the answer. Used once
# and removed, so a later write cannot make it stale.
PLACED_ON_UNITS = "_placed_on_actor_units"
# The annotation that carries it on the row read (``on_actor_units``).
READ_ON_UNITS = "read_on_units"


def on_actor_units(actor: Actor, person: str = "pk") -> dict[str, Exists]:
    """The annotation (``READ_ON_UNITS``) that reads, with a person or a record about one
    (``person``: the path to the person from the row read), whether the person is placed now
    on one of the actor's units; nothing for an actor without units."""
    if not actor.unit_ids:
        return {}
    on_units = Placement.objects.filter(
        episode__person=OuterRef(person), ended_at__isnull=True, unit_id__in=sorted(actor.unit_ids)
    )
    return {READ_ON_UNITS: Exists(on_units)}


@contextmanager
def scope_read_with(row: Any, person: PersonServed, actor: Actor) -> Iterator[None]:
    """Around the scope check of a person read with ``on_actor_units`` (on ``row``, the person
    or a record about them): the check uses that answer instead of reading the placements
    again, and forgets it afterwards."""
    if READ_ON_UNITS in row.__dict__:
        person.__dict__[PLACED_ON_UNITS] = (actor.unit_ids, row.__dict__.pop(READ_ON_UNITS))
    try:
        yield
    finally:
        person.__dict__.pop(PLACED_ON_UNITS, None)


def person_visible(actor: Actor, person: PersonServed) -> bool:
    """``person_scope_q`` for one person: the id sets first, then at most two small queries."""
    if actor.is_org_wide or person.pk in actor.caseload_person_ids:
        return True
    if person.pk in actor.emergency_person_ids:
        return True
    if actor.unit_ids and _placed_on_units(actor, person):
        return True
    return bool(actor.supervisee_staff_ids) and (
        PersonServed.objects.filter(_supervised_caseload_q(actor), pk=person.pk).exists()
    )


def visible_without_emergency(actor: Actor, person: PersonServed) -> bool:
    """Whether the person is in scope by unit, caseload or supervision alone; when not, a read
    through an emergency grant is an emergency-purpose read."""
    return person_visible(replace(actor, emergency_person_ids=frozenset()), person)


def restrict_staff(actor: Actor, qs: QuerySet[Staff]) -> QuerySet[Staff]:
    # Reached only through the policy layer, which has kept the query to the organization.
    if actor.is_org_wide or actor.has_role(R.ADMIN):
        return qs
    shares_unit = StaffHomeUnit.objects.filter(staff_id=OuterRef("pk"), unit_id__in=actor.unit_ids)
    return qs.filter(
        Q(Exists(shares_unit))
        | Q(pk=actor.staff_id)
        | Q(pk__in=actor.supervisee_staff_ids)
        | Q(supervisees=actor.staff_id)
    ).distinct()


def staff_visible(actor: Actor, staff: Staff) -> bool:
    return restrict_staff(actor, Staff.objects.filter(pk=staff.pk)).exists()


def restrict_units(actor: Actor, qs: QuerySet[Unit]) -> QuerySet[Unit]:
    """The units the actor sees; called directly too (as the scope of the records kept by
    unit), so an organization-wide actor's stay within the organization here as well."""
    if actor.is_org_wide or actor.has_role(R.ADMIN):
        return tenancy.tenant_restrict(actor, qs)
    return qs.filter(pk__in=actor.unit_ids)


def unit_visible(actor: Actor, unit: Unit) -> bool:
    return actor.is_org_wide or actor.has_role(R.ADMIN) or unit.pk in actor.unit_ids


def restrict_by_unit(path: str) -> Callable[[Actor, QuerySet[Any]], QuerySet[Any]]:
    """Records that belong to a unit (inspections, work orders, handoffs, shift assignments):
    visible to whoever sees the unit itself (its staff, organization-wide roles and
    administrators). ``path`` leads from the record to its unit (``unit_id``,
    ``inspection__unit_id``)."""

    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(**{f"{path}__in": restrict_units(actor, Unit.objects.all())})

    return restrict


def restrict_by_person(path: str = "person") -> Callable[[Actor, QuerySet[Any]], QuerySet[Any]]:
    """Records about a person served: visible exactly when their person is (``person_scope_q``;
    an organization-wide actor sees them all). ``path`` leads from the record to the person
    (``person``, ``episode__person``)."""

    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        if actor.is_org_wide:
            return tenancy.tenant_restrict(actor, qs)
        if "__" in path or not actor.is_authenticated:
            return qs.filter(person_scope_q(actor, path))
        # On the record's own column: resolved once per process for each scope (prepared);
        # built only when that scope is not kept yet.
        return prepared.filtered(
            qs, lambda: person_scope_q(actor, path), key=_scope_key(actor, path)
        )

    return restrict


def _scope_key(actor: Actor, person: str) -> tuple[Any, ...]:
    """Every value ``_person_scope_q`` builds its condition from."""
    return (
        "person-scope",
        person,
        actor.unit_ids,
        actor.caseload_person_ids,
        actor.emergency_person_ids,
        actor.supervisee_staff_ids,
        clock.organization_today() if actor.supervisee_staff_ids else None,
    )


def register_person_scope(model: type[models.Model], path: str = "person") -> None:
    """Register ``model``'s scope as its person's (``restrict_by_person`` and, for one record,
    ``person_visible``); ``path`` leads from a record to the person served (``goal__person``
    for a goal's step)."""
    person_at = attrgetter(path.replace("__", "."))
    policy.register_scope(
        model,
        visible=lambda a, o: person_visible(a, person_at(o)),
        restrict=restrict_by_person(path),
    )


def unit_record_visible(actor: Actor, obj: Any) -> bool:
    """``restrict_by_unit`` for one record that names its unit (``unit_id``)."""
    return unit_visible(actor, Unit(pk=obj.unit_id))


def restrict_episodes(actor: Actor, qs: QuerySet[Episode]) -> QuerySet[Episode]:
    return qs.filter(person__in=restrict_persons(actor, PersonServed.objects.all()))


def restrict_assignments(
    actor: Actor, qs: QuerySet[CaseloadAssignment]
) -> QuerySet[CaseloadAssignment]:
    return qs.filter(person__in=restrict_persons(actor, PersonServed.objects.all()))


def restrict_grants(actor: Actor, qs: QuerySet[EmergencyAccess]) -> QuerySet[EmergencyAccess]:
    if actor.has_role(R.PRIVACY):
        return qs
    return qs.filter(staff_id=actor.staff_pk)


def _audit_refusal(actor: Actor, action: str, obj: Any, why: str) -> None:
    """A refusal is an event too: who tried what, and on which record."""
    person = obj if isinstance(obj, PersonServed) else getattr(obj, "person", None)
    person_id = person.public_id if isinstance(person, PersonServed) else None
    audit.record(
        actor.user,
        Action.VIEW if action.split(".")[-1].startswith(("view", "list")) else Action.UPDATE,
        obj if obj is not None and hasattr(obj, "_meta") else None,
        person_id=person_id,
        outcome=Outcome.DENIED,
        detail={"policy_action": action, "refusal": why},
        durable=True,
    )


def install() -> None:
    policy.register(ACTIONS)
    policy.set_actor_loader(load_actor)
    policy.set_refusal_hook(_audit_refusal)
    policy.set_tenancy(visible=tenancy.tenant_visible, restrict=tenancy.tenant_restrict)
    policy.set_label_guard(
        visible=labels.label_visible,
        restrict=labels.restrict_labelled,
        key=labels.restrict_key,
        bind=labels.bind_reader,
    )
    exports.set_basis_finder(labels.disclosure_basis)
    from pillars.people.consents import recipient_basis

    exports.set_recipient_checker(recipient_basis)
    policy.register_scope(PersonServed, visible=person_visible, restrict=restrict_persons)
    policy.register_scope(
        AuditEvent, visible=tenancy.event_visible, restrict=tenancy.restrict_events
    )
    policy.register_scope(Staff, visible=staff_visible, restrict=restrict_staff)
    policy.register_scope(Unit, visible=unit_visible, restrict=restrict_units)
    policy.register_scope(
        Episode,
        visible=lambda a, e: person_visible(a, e.person),
        restrict=restrict_episodes,
    )
    policy.register_scope(
        CaseloadAssignment,
        visible=lambda a, c: person_visible(a, c.person),
        restrict=restrict_assignments,
    )
    policy.register_scope(
        Consent,
        visible=lambda a, c: person_visible(a, c.person),
        restrict=lambda a, qs: qs.filter(
            person__in=restrict_persons(a, PersonServed.objects.all())
        ),
    )
    # An alert is its recipient's alone: nobody else may know it exists.
    policy.register_scope(
        Alert,
        visible=lambda a, alert: a.staff_id is not None and alert.recipient_id == a.staff_id,
        restrict=lambda a, qs: qs.filter(recipient_id=a.staff_pk),
    )
    policy.register_scope(
        EmergencyAccess,
        visible=lambda a, g: a.has_role(R.PRIVACY) or g.staff_id == a.staff_id,
        restrict=restrict_grants,
    )
