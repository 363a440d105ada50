"""Reads of credentials and CE hours, scoped to the reader (workforce.policies.credentials)
and audited, and the compliance figures leaders see.

Compliance: a staff member's roles require credential types (``CredentialType.required_for``,
matched by code across versions). For each required type, the best credential they hold is the
one whose effective end is latest (a running waiver extends it to the waiver's end). Missing or
lapsed on the day: not compliant; in force but ending within 90 days: expiring; else compliant.
Required trainings (``Course.required_for``) count the same way: the latest completion's end,
or an assignment still within its due date; missing and overdue is lapsed. The figure is
computed in a fixed number of queries whatever the number of staff (``bench/credentials.py``
measures it against the same figure by hand in SQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connections
from django.db.models import Case, DateField, F, Max, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.people.models import Staff, StaffHomeUnit, StaffRole
from pillars.people.selectors import employed_q
from pillars.workforce.models.credentials import (
    CeCategory,
    CeRecord,
    Credential,
    CredentialState,
    CredentialType,
)
from pillars.workforce.models.trainings import Course, TrainingAssignment, TrainingCompletion

EXPIRING_DAYS = 90
# Stands for "never ends" in SQL comparisons (a credential with no expiry, an open waiver).
FAR = date(9999, 12, 31)


def _audit_read(user: Any, what: str, staff: Staff | None, detail: dict[str, Any]) -> None:
    audit.record(
        actor=policy.actor_for(user).user,
        action=Action.VIEW,
        object_type="workforce.credential",
        object_id=str(staff.public_id) if staff is not None else what,
        purpose=Purpose.ADMINISTRATION,
        detail={"what": what, **detail},
    )


def credential_types(*, current_only: bool = True) -> QuerySet[CredentialType]:
    qs = CredentialType.objects.filter(is_active=True)
    return qs.filter(is_current=True) if current_only else qs


def get_credential_type(code: str) -> CredentialType:
    found = credential_types().filter(code=code).first()
    if found is None:
        raise Http404("Not found")
    return found


def ce_categories() -> QuerySet[CeCategory]:
    return CeCategory.objects.filter(is_active=True)


def credentials_of(staff: Staff, user: Any) -> list[Credential]:
    """A staff member's credentials, newest issue first per type (the caller checked the
    reader may see them); the read is audited."""
    rows = list(
        policy.restrict(
            Credential.objects.filter(staff=staff).select_related(
                "credential_type", "verified_by", "waived_by"
            ),
            user,
            "workforce.view_credentials",
        ).order_by("credential_type__name", "-issued_on", "pk")
    )
    _audit_read(user, "credentials", staff, {"count": len(rows)})
    return rows


def ce_records_of(staff: Staff, user: Any) -> list[CeRecord]:
    return list(
        policy.restrict(
            CeRecord.objects.filter(staff=staff).select_related("category"),
            user,
            "workforce.view_credentials",
        )
    )


def get_credential_for(user: Any, public_id: Any, action: str) -> Credential:
    """One credential: 404 when the reader may not know of it, 403 when not allowed."""
    found = (
        Credential.objects.select_related("credential_type", "staff", "verified_by", "waived_by")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise Http404("Not found")
    policy.require(user, action, found)
    _audit_read(user, "credential", found.staff, {"credential": str(found.public_id)})
    return found


EVIDENCE_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file cleared for one reader: what to send and under which name."""

    record: Any
    content_type: str
    filename: str


def get_evidence_for(user: Any, model: type[Any], public_id: Any) -> EvidenceFile:
    """The evidence of one credential, CE record or training completion: 404 when the reader
    may not know of the record or it has no evidence, 403 when they may read the record but not
    the file (policy ``workforce.download_evidence``). The read is audited. The name sent is
    made from the record, never the uploaded name; the type is one evidence may be."""
    found = model.objects.select_related("staff").filter(public_id=public_id).first()
    if found is None:
        raise Http404("Not found")
    policy.require(user, "workforce.download_evidence", found)
    if not found.evidence.name or not found.evidence.storage.exists(found.evidence.name):
        raise Http404("No evidence")
    content_type = (
        found.evidence_content_type
        if found.evidence_content_type in EVIDENCE_TYPES
        else "application/octet-stream"
    )
    label = model._meta.model_name
    _audit_read(
        user,
        "evidence",
        found.staff,
        {"record": f"{model._meta.label_lower}:{found.public_id}", "type": content_type},
    )
    extension = EVIDENCE_TYPES.get(content_type, "bin")
    return EvidenceFile(found, content_type, f"{label}-{found.public_id}.{extension}")


def verification_queue(user: Any) -> list[Credential]:
    """Credentials waiting for an administrator's check, oldest first."""
    rows = list(
        policy.restrict(
            Credential.objects.filter(verified_at__isnull=True, waived_at__isnull=True),
            user,
            "workforce.verify_credential",
        )
        .select_related("credential_type", "staff")
        .order_by("recorded_at", "pk")
    )
    _audit_read(user, "verification queue", None, {"count": len(rows)})
    return rows


def current_by_type(credentials: list[Credential], today: date) -> list[Credential]:
    """The newest credential of each type (by code), for the "what I hold" list."""
    best: dict[str, Credential] = {}
    for c in credentials:
        code = c.credential_type.code
        if code not in best or c.issued_on > best[code].issued_on:
            best[code] = c
    return sorted(best.values(), key=lambda c: c.credential_type.name)


# --- CE summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CeLine:
    category: str
    name: str
    required: Decimal
    earned: Decimal

    @property
    def short(self) -> Decimal:
        return max(self.required - self.earned, Decimal(0))


@dataclass(frozen=True)
class CeSummary:
    """CE hours within one credential's renewal period against its type's minimums."""

    credential: Credential
    starts_on: date
    ends_on: date | None
    total_required: Decimal
    total_earned: Decimal
    lines: list[CeLine] = field(default_factory=list)

    @property
    def is_met(self) -> bool:
        return self.total_earned >= self.total_required and all(
            line.earned >= line.required for line in self.lines
        )


def renewal_period_start(
    credential: Credential, credentials: list[Credential] | None = None
) -> date:
    """The first day of a credential's CE renewal period. A credential is valid through its
    expiry day (``Credential.is_current_on``), so that day belongs to its own period; the
    renewal's period starts the day after, though the renewal was issued on that day (a
    fixed-date credential renewed on the date itself) or earlier (an early renewal). Else the
    period starts on the issue day. ``credentials``: the staff member's credentials, read
    here when not given."""
    code = credential.credential_type.code
    if credentials is None:
        credentials = list(
            Credential.objects.filter(
                staff_id=credential.staff_id,
                credential_type__code=code,
                issued_on__lt=credential.issued_on,
                expires_on__isnull=False,
            ).select_related("credential_type")
        )
    renewed = [
        c.expires_on
        for c in credentials
        if c.pk != credential.pk
        and c.staff_id == credential.staff_id
        and c.credential_type.code == code
        and c.issued_on < credential.issued_on
        and c.expires_on is not None
    ]
    latest = max(renewed, default=None)
    if latest is None or latest < credential.issued_on:
        return credential.issued_on
    return latest + timedelta(days=1)


def ce_summary(
    credential: Credential,
    records: list[CeRecord] | None = None,
    credentials: list[Credential] | None = None,
) -> CeSummary:
    """Hours earned in the credential's renewal period, from its first day
    (``renewal_period_start``) to the expiry date (inclusive), by category, against the
    minimums of the type version the credential was issued under. Each completion belongs to
    exactly one period of a credential and its renewals. ``records`` (the staff member's CE
    records) and ``credentials`` (their credentials) are read here when not given."""
    kind = credential.credential_type
    if records is None:
        records = list(CeRecord.objects.filter(staff_id=credential.staff_id))
    starts_on = renewal_period_start(credential, credentials)
    inside = [
        r
        for r in records
        if r.completed_on >= starts_on
        and (credential.expires_on is None or r.completed_on <= credential.expires_on)
    ]
    earned: dict[str, Decimal] = defaultdict(Decimal)
    for r in inside:
        earned[r.category.code] += r.hours
    required = kind.ce_required()
    names = dict(CeCategory.objects.filter(code__in=required).values_list("code", "name"))
    lines = [
        CeLine(code, names.get(code, code), hours, earned.get(code, Decimal(0)))
        for code, hours in sorted(required.items())
    ]
    return CeSummary(
        credential,
        starts_on,
        credential.expires_on,
        kind.ce_total_hours,
        sum((r.hours for r in inside), Decimal(0)),
        lines,
    )


# --- Compliance -------------------------------------------------------------------------------

COMPLIANT = "compliant"
EXPIRING = "expiring"
LAPSED = "lapsed"
STATUS_LABELS = {COMPLIANT: "Compliant", EXPIRING: "Expiring within 90 days", LAPSED: "Lapsed"}


@dataclass
class ComplianceRow:
    staff_id: int
    status: str = COMPLIANT
    lapsed: list[str] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)
    earliest_end: date | None = None


def _required_by_role(choices: QuerySet[Any], key: str) -> Any:
    """Which of ``choices`` (named by their ``key``) each role code requires."""
    by_role: dict[str, set[Any]] = defaultdict(set)
    for value, role in choices.filter(required_for__isnull=False).values_list(
        key, "required_for__code"
    ):
        by_role[role].add(value)
    return by_role


def _required_of_each[K](
    roles_of: dict[int, list[str]], by_role: Mapping[str, set[K]], names: Mapping[K, str]
) -> Iterator[tuple[int, list[K]]]:
    """Each staff member whose roles require something, with what they require (the union over
    their roles, in the order of ``names``), worked out once per distinct set of roles."""
    needs: dict[frozenset[str], list[K]] = {}
    for staff_id, role_codes in roles_of.items():
        key = frozenset(role_codes)
        if key not in needs:
            wanted: set[K] = set().union(*(by_role.get(r, set()) for r in key))
            needs[key] = sorted(wanted, key=lambda k: names[k])
        if needs[key]:
            yield staff_id, needs[key]


def credential_compliance(
    staff: QuerySet[Staff], today: date, roles_of: dict[int, list[str]] | None = None
) -> dict[int, ComplianceRow]:
    """Each staff member's credential compliance on ``today``: the types their roles require
    (``roles_of``, staff id to role codes, read here when not given), the latest effective end
    per (staff, type code) in one grouped query, then one pass in Python."""
    staff_ids = staff.values("pk")
    if roles_of is None:
        roles_of = defaultdict(list)
        for staff_id, code in StaffRole.objects.filter(staff_id__in=staff_ids).values_list(
            "staff_id", "role__code"
        ):
            roles_of[staff_id].append(code)
    kinds = CredentialType.objects.filter(is_current=True, is_active=True)
    names = dict(kinds.values_list("code", "name"))
    by_role: dict[str, set[str]] = _required_by_role(kinds, "code")
    # A waiver extends a credential to the waiver's end, never shortens it (as
    # ``Credential.is_current_on`` reads it): the later of the two ends.
    effective_end = Case(
        When(waived_at__isnull=False, waived_until__isnull=True, then=Value(FAR)),
        When(
            waived_at__isnull=False,
            expires_on__isnull=False,
            waived_until__gt=F("expires_on"),
            then=F("waived_until"),
        ),
        default=Coalesce(F("expires_on"), Value(FAR)),
        output_field=DateField(),
    )
    ends = {
        (staff_id, code): end
        for staff_id, code, end in Credential.objects.filter(
            staff__in=staff_ids, issued_on__lte=today
        )
        .values("staff_id", "credential_type__code")
        .annotate(end=Max(effective_end))
        .values_list("staff_id", "credential_type__code", "end")
    }
    soon = today + timedelta(days=EXPIRING_DAYS)
    rows: dict[int, ComplianceRow] = {}
    for staff_id, codes in _required_of_each(roles_of, by_role, names):
        row = rows[staff_id] = ComplianceRow(staff_id)
        for code in codes:
            _judge(row, names[code], ends.get((staff_id, code)), today, soon)
    return rows


def training_compliance(
    staff: QuerySet[Staff],
    today: date,
    roles_of: dict[int, list[str]],
    rows: dict[int, ComplianceRow],
) -> dict[int, ComplianceRow]:
    """Add the trainings each staff member's roles require to their compliance row, as
    credentials are: the latest completion's end per (staff, course) in one grouped query (a
    course without renewal never ends). With no completion, an assignment still within its due
    date counts as expiring on that date; otherwise the training has lapsed."""
    courses = Course.objects.filter(is_active=True)
    names = {pk: f"Training: {name}" for pk, name in courses.values_list("pk", "name")}
    by_role: dict[str, set[int]] = _required_by_role(courses, "pk")
    if not by_role:
        return rows
    staff_ids = staff.values("pk")
    ends = {
        (staff_id, course_id): end
        for staff_id, course_id, end in TrainingCompletion.objects.filter(
            staff__in=staff_ids, completed_on__lte=today, course_id__in=names
        )
        .values("staff_id", "course_id")
        .annotate(end=Max(Coalesce(F("expires_on"), Value(FAR), output_field=DateField())))
        .values_list("staff_id", "course_id", "end")
    }
    due = {
        (staff_id, course_id): due_on
        for staff_id, course_id, due_on in TrainingAssignment.objects.filter(
            staff__in=staff_ids, due_on__gte=today, course_id__in=names
        ).values_list("staff_id", "course_id", "due_on")
    }
    soon = today + timedelta(days=EXPIRING_DAYS)
    for staff_id, course_ids in _required_of_each(roles_of, by_role, names):
        row = rows.get(staff_id) or rows.setdefault(staff_id, ComplianceRow(staff_id))
        for course_id in course_ids:
            end = ends.get((staff_id, course_id)) or due.get((staff_id, course_id))
            _judge(row, names[course_id], end, today, soon)
    return rows


def _judge(row: ComplianceRow, name: str, end: date | None, today: date, soon: date) -> None:
    if end is None or end < today:
        row.lapsed.append(name)
        row.status = LAPSED
        return
    if end <= soon:
        row.expiring.append(name)
        if row.status == COMPLIANT:
            row.status = EXPIRING
    if row.earliest_end is None or end < row.earliest_end:
        row.earliest_end = end


# The compliance figure judged in the database: one row per (staff member, required credential
# code or course) with its effective end, as ``credential_compliance`` and
# ``training_compliance`` judge them. Python then only sees each staff member's earliest end in
# force and the pairs that are lapsed or expiring, not every pair (``bench/credentials.py``).
_JUDGED_SQL = """
    WITH scope (pk) AS ({scope}),
    req_c AS (
        SELECT DISTINCT sr.staff_id, ct.code, ct.name
        FROM {staff_roles} sr
        JOIN scope ON scope.pk = sr.staff_id
        JOIN {type_roles} rf ON rf.role_id = sr.role_id
        JOIN {types} ct ON ct.id = rf.credentialtype_id AND ct.is_current AND ct.is_active
    ),
    best_c AS (
        SELECT c.staff_id, ct.code,
               MAX(CASE WHEN c.waived_at IS NOT NULL
                             AND COALESCE(c.waived_until, %(far)s) > COALESCE(c.expires_on, %(far)s)
                        THEN COALESCE(c.waived_until, %(far)s)
                        ELSE COALESCE(c.expires_on, %(far)s) END) AS ends
        FROM {credentials} c
        JOIN {types} ct ON ct.id = c.credential_type_id
        WHERE c.issued_on <= %(today)s
        GROUP BY c.staff_id, ct.code
    ),
    req_t AS (
        SELECT DISTINCT sr.staff_id, co.id AS course_id, co.name
        FROM {staff_roles} sr
        JOIN scope ON scope.pk = sr.staff_id
        JOIN {course_roles} cr ON cr.role_id = sr.role_id
        JOIN {courses} co ON co.id = cr.course_id AND co.is_active
    ),
    best_t AS (
        SELECT t.staff_id, t.course_id, MAX(COALESCE(t.expires_on, %(far)s)) AS ends
        FROM {completions} t
        WHERE t.completed_on <= %(today)s
        GROUP BY t.staff_id, t.course_id
    ),
    due_t AS (
        SELECT a.staff_id, a.course_id, MAX(a.due_on) AS due_on
        FROM {assignments} a
        WHERE a.due_on >= %(today)s
        GROUP BY a.staff_id, a.course_id
    ),
    judged AS (
        SELECT req_c.staff_id, 1 AS kind, req_c.name, best_c.ends
        FROM req_c
        LEFT JOIN best_c ON best_c.staff_id = req_c.staff_id AND best_c.code = req_c.code
        UNION ALL
        SELECT req_t.staff_id, 2 AS kind, req_t.name, COALESCE(best_t.ends, due_t.due_on)
        FROM req_t
        LEFT JOIN best_t
             ON best_t.staff_id = req_t.staff_id AND best_t.course_id = req_t.course_id
        LEFT JOIN due_t
             ON due_t.staff_id = req_t.staff_id AND due_t.course_id = req_t.course_id
    )
    SELECT staff_id, 0, NULL, MIN(CASE WHEN ends >= %(today)s THEN ends END)
    FROM judged GROUP BY staff_id
    UNION ALL
    SELECT staff_id, kind, name, ends
    FROM judged WHERE ends IS NULL OR ends <= %(soon)s
"""


def compliance_rows(staff: QuerySet[Staff], today: date) -> dict[int, ComplianceRow]:
    """The same rows as ``credential_compliance`` then ``training_compliance``, judged in one
    statement: a staff member whose roles require nothing has no row; a compliant one gets
    their earliest end; only lapsed and expiring pairs come back by name."""
    db = staff.db
    connection = connections[db]
    scope, scope_params = staff.order_by().values("pk").query.get_compiler(using=db).as_sql()
    sql = _JUDGED_SQL.format(
        scope=scope,
        staff_roles=StaffRole._meta.db_table,
        type_roles=CredentialType.required_for.through._meta.db_table,
        types=CredentialType._meta.db_table,
        credentials=Credential._meta.db_table,
        course_roles=Course.required_for.through._meta.db_table,
        courses=Course._meta.db_table,
        completions=TrainingCompletion._meta.db_table,
        assignments=TrainingAssignment._meta.db_table,
    )
    # The scope's own placeholders are positional; name them so one parameter style serves.
    names = {f"scope{n}": value for n, value in enumerate(scope_params)}
    parts = sql.split("%s")
    sql = "".join(
        part + (f"%(scope{n})s" if n < len(parts) - 1 else "") for n, part in enumerate(parts)
    )

    def adapt(day: date) -> Any:
        return day if connection.vendor == "postgresql" else day.isoformat()

    soon = today + timedelta(days=EXPIRING_DAYS)
    params = {
        **names,
        "today": adapt(today),
        "soon": adapt(soon),
        "far": adapt(FAR),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows: dict[int, ComplianceRow] = {}
    flagged: list[tuple[int, int, str, date | None]] = []
    for staff_id, kind, name, end in found:
        end = _as_date(end)
        if kind == 0:
            rows[staff_id] = ComplianceRow(staff_id, earliest_end=end)
        else:
            flagged.append((staff_id, kind, name, end))
    # Credentials by type name, then trainings by course name, as the Python judge lists them.
    flagged.sort(key=lambda f: (f[0], f[1], f[2]))
    for staff_id, kind, name, end in flagged:
        row = rows[staff_id]
        label = name if kind == 1 else f"Training: {name}"
        if end is None or end < today:
            row.lapsed.append(label)
            row.status = LAPSED
        else:
            row.expiring.append(label)
            if row.status == COMPLIANT:
                row.status = EXPIRING
    return rows


def _as_date(value: Any) -> date | None:
    """SQLite hands dates back as ISO text from a raw statement."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class StaffRef(NamedTuple):
    """The two facts a compliance line shows about a staff member."""

    public_id: UUID
    display_name: str


@dataclass(frozen=True)
class ComplianceLine:
    staff: StaffRef
    status: str
    lapsed: list[str]
    expiring: list[str]
    earliest_end: date | None
    units: list[str]
    roles: list[str]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ComplianceGroup:
    name: str
    compliant: int = 0
    expiring: int = 0
    lapsed: int = 0

    @property
    def total(self) -> int:
        return self.compliant + self.expiring + self.lapsed


def compliance_for(
    user: Any, *, unit: str = "", role: str = "", today: date | None = None
) -> list[ComplianceLine]:
    """Every employed staff member the reader may see, with their compliance; filtered by
    unit code and role code. The read is audited."""
    policy.require(user, "workforce.view_compliance")
    today = today or clock.organization_today()
    staff = policy.restrict(Staff.objects.filter(employed_q(today)), user, "people.view_staff")
    if unit:
        staff = staff.filter(home_units__code=unit)
    if role:
        staff = staff.filter(roles__code=role)
    staff = staff.distinct()
    # Units and roles for display from the link tables in two flat queries (a prefetch would
    # build two model instances per staff member: most of the page's time at 5,000 staff).
    ids = staff.values("pk")
    units: dict[int, list[str]] = defaultdict(list)
    for staff_id, code in StaffHomeUnit.objects.filter(staff_id__in=ids).values_list(
        "staff_id", "unit__code"
    ):
        units[staff_id].append(code)
    roles: dict[int, list[str]] = defaultdict(list)
    for staff_id, code in StaffRole.objects.filter(staff_id__in=ids).values_list(
        "staff_id", "role__code"
    ):
        roles[staff_id].append(code)
    figures = compliance_rows(staff, today)
    lines = []
    for pk, public_id, name in staff.order_by("display_name", "pk").values_list(
        "pk", "public_id", "display_name"
    ):
        row = figures.get(pk) or ComplianceRow(pk)
        lines.append(
            ComplianceLine(
                StaffRef(public_id, name),
                row.status,
                row.lapsed,
                row.expiring,
                row.earliest_end,
                sorted(units.get(pk, [])),
                sorted(roles.get(pk, [])),
            )
        )
    _audit_read(user, "compliance", None, {"unit": unit, "role": role, "count": len(lines)})
    return lines


def groups_of(lines: list[ComplianceLine], by: str) -> list[ComplianceGroup]:
    """Counts by unit or role (a person with two units counts in both)."""
    groups: dict[str, ComplianceGroup] = {}
    for line in lines:
        for key in (line.units if by == "unit" else line.roles) or ["(none)"]:
            group = groups.setdefault(key, ComplianceGroup(key))
            setattr(group, line.status, getattr(group, line.status) + 1)
    return [groups[k] for k in sorted(groups)]


def ladder_credential(staff: Staff, criterion: Any, today: date) -> Any:
    """The career ladder's ``credential`` criterion: a credential of the type ``code`` names is
    in force today (verified, or waived while the waiver runs; a pending one is not yet met)."""
    from pillars.workforce.selectors.ladder import Measure

    held = [
        c
        for c in Credential.objects.filter(staff=staff, credential_type__code=criterion.code)
        if c.is_current_on(today) and c.state_on(today) != CredentialState.PENDING
    ]
    if held:
        until = max((c.expires_on for c in held if c.expires_on), default=None)
        return Measure(1, True, f"{criterion.code} in force" + (f" until {until}" if until else ""))
    return Measure(0, False, f"no {criterion.code} credential in force")
