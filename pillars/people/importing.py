"""CSV import of staff and persons served, shared by ``pillars import`` and the import page.

Every row is checked before anything is written; a report names each bad row as "line N:
reason" (the header is line 1). Only a file with no bad row is imported, all of it in one
transaction through the services, so policy and audit apply to each row, and one IMPORT event
sums up the whole file. A dry run (the default) writes nothing but that event; on the page, a
good file's checked bytes wait in a ``PendingImport`` (for ``PENDING_MINUTES``) until the same
administrator confirms them once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, MessageError, ValidationError
from pillars.people import pending_imports
from pillars.people.models import (
    Bed,
    PendingImport,
    PersonServed,
    Placement,
    Role,
    Staff,
    Unit,
)
from pillars.people.tenancy import organization_for

MAX_BYTES = 5 * 1024 * 1024
MAX_MB = MAX_BYTES // (1024 * 1024)
MAX_ROWS = 20_000
# A checked file waits this long for its confirmation.
PENDING_MINUTES = 30
CSV_SUFFIXES = (".csv", ".txt")
# What browsers send for a .csv file: text/csv mostly, but Windows with a spreadsheet program
# installed says application/vnd.ms-excel, and some browsers send a generic type or none.
CSV_CONTENT_TYPES = frozenset(
    {
        "text/csv",
        "text/plain",
        "text/x-csv",
        "text/comma-separated-values",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "",
    }
)
# The first bytes of files people save by mistake instead of CSV.
NOT_CSV = (
    (b"PK\x03\x04", "a spreadsheet workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an older spreadsheet workbook (.xls)"),
    (b"%PDF", "a PDF document"),
)
SAVE_AS_CSV = "In your spreadsheet program, save it as 'CSV UTF-8' and try again."
LIST_SEPARATOR = ";"
USERNAME_RE = re.compile(r"^[a-z0-9.@+_-]+$")


class FileRefused(MessageError):
    """The file as a whole cannot be read (too large, not UTF-8, not CSV)."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


@dataclass(frozen=True)
class Kind:
    label: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def describe(self) -> str:
        lines = []
        for column in self.columns:
            need = "required" if column.required else "optional"
            lines.append(f"  {column.name} ({need}): {column.help}")
        return "\n".join(lines)


KINDS: dict[str, Kind] = {
    "staff": Kind(
        "Staff",
        (
            Column("username", True, "sign-in name: lower case letters, digits, . @ + _ -"),
            Column("display_name", True, "name shown to colleagues"),
            Column("hired_on", True, "hire date, YYYY-MM-DD"),
            Column(
                "roles",
                True,
                "role codes separated by ';' (bht;nurse;clinician;peer;"
                "supervisor;director;privacy;admin)",
            ),
            Column("home_units", False, "unit codes separated by ';'"),
            Column("email", False, "email address"),
            Column("job_title", False, "job title"),
            Column("badge_number", False, "badge number, unique"),
            Column(
                "supervisor",
                False,
                "the supervisor's username (in Pillars already, or on an"
                " earlier line of this file)",
            ),
            Column("languages", False, "languages separated by ';'"),
        ),
    ),
    "persons": Kind(
        "Persons served",
        (
            Column("record_number", True, "record number, unique"),
            Column("legal_given_name", True, "legal first name"),
            Column("legal_family_name", True, "legal last name"),
            Column("date_of_birth", True, "date of birth, YYYY-MM-DD, not in the future"),
            Column("preferred_name", False, "the name they use"),
            Column("pronouns", False, "pronouns"),
            Column("unit", False, "unit code: admits the person there now"),
            Column("bed", False, "bed on that unit as ROOM-LABEL, for example 101-A"),
        ),
    ),
}


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Report:
    """What an import found and did."""

    kind: str
    source: str = ""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    imported: int = 0
    committed: bool = False
    sha256: str = ""
    pending: PendingImport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        label = KINDS[self.kind].label.lower()

        def rows(n: int) -> str:
            return f"{n} row{'' if n == 1 else 's'}"

        if self.committed:
            return f"Imported {rows(self.imported)} of {label}."
        if self.problems:
            bad = len({p.line for p in self.problems})
            return (
                f"{bad} of {rows(self.rows)} {'has' if bad == 1 else 'have'} problems; nothing "
                "was imported. Fix the file and try again."
            )
        verb = "is" if self.rows == 1 else "are"
        return f"{rows(self.rows)} of {label} {verb} ready to import. Nothing is imported yet."


@dataclass
class Row:
    line: int
    values: dict[str, str]
    parsed: dict[str, Any] = field(default_factory=dict)


# --- Reading the file --------------------------------------------------------------------------


def too_large(size: int) -> FileRefused:
    return FileRefused(
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_MB} MB ({MAX_BYTES} "
        "bytes). Split it into smaller files."
    )


def check_upload(name: str, content_type: str, size: int) -> None:
    """Refuse an upload that cannot be a CSV file before reading it: over the size limit, or
    not named and typed as CSV (the error names the limit or what is accepted)."""
    if size > MAX_BYTES:
        raise too_large(size)
    suffix = PurePath(name or "").suffix.lower()
    base_type = (content_type or "").split(";")[0].strip().lower()
    if suffix not in CSV_SUFFIXES:
        raise FileRefused(
            f"Only CSV files can be imported: the name must end in .csv (this one is "
            f"'{(name or '')[:100]}'). {SAVE_AS_CSV}"
        )
    if base_type not in CSV_CONTENT_TYPES:
        raise FileRefused(
            f"Only CSV files can be imported; this file was sent as {base_type[:100]}, "
            f"not text/csv. {SAVE_AS_CSV}"
        )


def decode(data: bytes) -> str:
    """The file's text, or a clear refusal when it is too large, another kind of file, or not
    UTF-8."""
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if not data.strip():
        raise FileRefused("The file is empty.")
    for magic, what in NOT_CSV:
        if data.startswith(magic):
            raise FileRefused(f"The file is {what}, not CSV text. {SAVE_AS_CSV}")
    try:
        # utf-8-sig: spreadsheet programs put a byte-order mark at the start of "CSV UTF-8".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file is not UTF-8 text. In your spreadsheet program, save it as "
            "'CSV UTF-8' and try again."
        ) from None
    if "\x00" in text:
        raise FileRefused("The file is not a CSV text file.")
    return text


def read_rows(kind: Kind, text: str, problems: list[Problem]) -> list[Row]:
    """The data rows with their line numbers; header problems are reported on line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        problems.append(Problem(1, "the file has no header row"))
        return []
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem(1, f"column '{name}' appears twice"))
        elif name not in kind.names:
            problems.append(
                Problem(1, f"unknown column '{name}' (columns: {', '.join(kind.names)})")
            )
        seen.add(name)
    for name in kind.required:
        if name not in seen:
            problems.append(Problem(1, f"missing required column '{name}'"))
    if problems:
        return []
    rows: list[Row] = []
    last_line = reader.line_num
    try:
        for record in reader:
            # A quoted value can span lines; a row is named by the line it starts on.
            line = last_line + 1
            last_line = reader.line_num
            if not record or all(not v.strip() for v in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileRefused(f"The file has more than {MAX_ROWS} rows; split it.")
            if len(record) != len(names):
                problems.append(
                    Problem(line, f"has {len(record)} values; the header has {len(names)}")
                )
                continue
            rows.append(Row(line, {n: v.strip() for n, v in zip(names, record, strict=True)}))
    except csv.Error as exc:
        problems.append(Problem(last_line + 1, f"cannot be read as CSV ({exc})"))
    return rows


# --- Checking rows -----------------------------------------------------------------------------


def _date(value: str, what: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a date, no time)
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a date in the form YYYY-MM-DD") from None


def _items(value: str) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()))


def _too_long(values: dict[str, str], limits: dict[str, int]) -> list[str]:
    return [
        f"{name} is longer than {limit} characters"
        for name, limit in limits.items()
        if len(values.get(name, "")) > limit
    ]


def check_staff(rows: list[Row], problems: list[Problem], organization_id: int) -> None:
    """Check staff rows against each other and the database; fill ``row.parsed``. Unit codes,
    badges and supervisors are the importing organization's (people.tenancy)."""
    User = get_user_model()
    usernames = [r.values["username"].lower() for r in rows]
    taken_users = set(
        User.objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    badges = [r.values.get("badge_number", "") for r in rows if r.values.get("badge_number")]
    mine = {"organization_id": organization_id}
    taken_badges = set(
        Staff.objects.filter(badge_number__in=badges, **mine).values_list("badge_number", flat=True)
    )
    role_codes = set(Role.objects.values_list("code", flat=True))
    units = {u.code: u for u in Unit.objects.filter(**mine)}
    supervisors = {
        s.user.username: s
        for s in Staff.objects.select_related("user").filter(
            user__username__in=[r.values.get("supervisor", "").lower() for r in rows], **mine
        )
    }
    first_username: dict[str, int] = {}
    first_badge: dict[str, int] = {}
    # Hire dates are the organization's days: at 21:00 in Chicago UTC is already on tomorrow.
    today = clock.organization_today()
    for row in rows:
        v = row.values
        errors = _too_long(
            v, {"username": 150, "display_name": 150, "job_title": 100, "badge_number": 20}
        )
        username = v["username"].lower()
        if not username:
            errors.append("username is empty")
        elif not USERNAME_RE.match(username):
            errors.append(f"username '{username}' may use only a-z 0-9 . @ + _ -")
        elif username in first_username:
            errors.append(f"username '{username}' is already on line {first_username[username]}")
        elif username in taken_users:
            errors.append(f"username '{username}' is already taken in Pillars")
        if username:
            first_username.setdefault(username, row.line)
        if not v["display_name"]:
            errors.append("display_name is empty")
        hired_on = None
        try:
            hired_on = _date(v["hired_on"], "hired_on")
            if hired_on > today + timedelta(days=365):
                errors.append("hired_on is more than a year away")
        except ValueError as exc:
            errors.append(str(exc))
        roles = _items(v["roles"])
        if not roles:
            errors.append("roles is empty: give at least one role code")
        unknown = [r for r in roles if r not in role_codes]
        if unknown:
            errors.append(f"unknown role '{unknown[0]}' (roles: {', '.join(sorted(role_codes))})")
        home_units = []
        for code in _items(v.get("home_units", "")):
            if code not in units:
                errors.append(f"unit code '{code}' does not exist")
            elif not units[code].is_active:
                errors.append(f"unit '{code}' is closed")
            else:
                home_units.append(units[code])
        email = v.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(f"email '{email}' is not an email address")
        badge = v.get("badge_number", "")
        if badge:
            if badge in first_badge:
                errors.append(f"badge_number '{badge}' is already on line {first_badge[badge]}")
            elif badge in taken_badges:
                errors.append(f"badge_number '{badge}' is already in use")
            first_badge.setdefault(badge, row.line)
        supervisor_name = v.get("supervisor", "").lower()
        supervisor: Any = None
        if supervisor_name:
            if supervisor_name == username:
                errors.append("a staff member cannot supervise themselves")
            elif supervisor_name in supervisors:
                supervisor = supervisors[supervisor_name]
                if supervisor.exited_on is not None:
                    errors.append(f"supervisor '{supervisor_name}' no longer works here")
            elif first_username.get(supervisor_name, row.line) < row.line:
                supervisor = supervisor_name  # created earlier in this import
            else:
                errors.append(
                    f"supervisor '{supervisor_name}' is not a staff member (put them on an "
                    "earlier line, or import them first)"
                )
        problems.extend(Problem(row.line, e) for e in errors)
        row.parsed = {
            "username": username,
            "display_name": v["display_name"],
            "hired_on": hired_on,
            "roles": roles,
            "home_units": home_units,
            "email": email,
            "job_title": v.get("job_title", ""),
            "badge_number": badge or None,
            "supervisor": supervisor,
            "languages": _items(v.get("languages", "")),
        }


def check_persons(rows: list[Row], problems: list[Problem], organization_id: int) -> None:
    """Check persons-served rows against each other and the database; fill ``row.parsed``.
    Record numbers and unit codes are the importing organization's (people.tenancy)."""
    numbers = [r.values["record_number"] for r in rows]
    mine = {"organization_id": organization_id}
    taken = set(
        PersonServed.objects.filter(record_number__in=numbers, **mine).values_list(
            "record_number", flat=True
        )
    )
    units = {u.code: u for u in Unit.objects.filter(**mine)}
    beds: dict[tuple[int, str], Bed] = {
        (b.room.unit_id, f"{b.room.name}-{b.label}".lower()): b
        for b in Bed.objects.select_related("room").filter(room__unit__in=list(units.values()))
    }
    occupied = set(Placement.objects.current().exclude(bed=None).values_list("bed_id", flat=True))
    first_number: dict[str, int] = {}
    first_bed: dict[int, int] = {}
    # The organization's day, not UTC's (already tomorrow in the American evening).
    today = clock.organization_today()
    for row in rows:
        v = row.values
        errors = _too_long(
            v,
            {
                "record_number": 32,
                "legal_given_name": 100,
                "legal_family_name": 100,
                "preferred_name": 100,
                "pronouns": 40,
            },
        )
        number = v["record_number"]
        if not number:
            errors.append("record_number is empty")
        elif number in first_number:
            errors.append(f"record_number '{number}' is already on line {first_number[number]}")
        elif number in taken:
            errors.append(f"record_number '{number}' already exists in Pillars")
        if number:
            first_number.setdefault(number, row.line)
        for name in ("legal_given_name", "legal_family_name"):
            if not v[name]:
                errors.append(f"{name} is empty")
        dob = None
        try:
            dob = _date(v["date_of_birth"], "date_of_birth")
            if dob > today:
                errors.append("date_of_birth is in the future")
            elif dob.year < 1900:
                errors.append("date_of_birth is before 1900")
        except ValueError as exc:
            errors.append(str(exc))
        unit = None
        bed = None
        code = v.get("unit", "")
        bed_label = v.get("bed", "")
        if code:
            unit = units.get(code)
            if unit is None:
                errors.append(f"unit code '{code}' does not exist")
            elif not unit.is_active:
                errors.append(f"unit '{code}' is closed")
        if bed_label:
            if not code:
                errors.append("bed is given without a unit")
            elif unit is not None:
                bed = beds.get((unit.pk, bed_label.lower()))
                if bed is None:
                    errors.append(f"bed '{bed_label}' is not on unit '{code}'")
                elif not bed.is_active:
                    errors.append(f"bed '{bed_label}' is out of service")
                elif bed.pk in occupied:
                    errors.append(f"bed '{bed_label}' is occupied")
                elif bed.pk in first_bed:
                    errors.append(f"bed '{bed_label}' is already used on line {first_bed[bed.pk]}")
                else:
                    first_bed[bed.pk] = row.line
        problems.extend(Problem(row.line, e) for e in errors)
        row.parsed = {
            "record_number": number,
            "legal_given_name": v["legal_given_name"],
            "legal_family_name": v["legal_family_name"],
            "date_of_birth": dob,
            "preferred_name": v.get("preferred_name", ""),
            "pronouns": v.get("pronouns", ""),
            "unit": unit,
            "bed": bed,
        }


CHECKS: dict[str, Callable[[list[Row], list[Problem], int], None]] = {
    "staff": check_staff,
    "persons": check_persons,
}


# --- Writing -----------------------------------------------------------------------------------


def _write_staff(actor: Any, rows: list[Row]) -> None:
    from pillars.people.services import create_staff

    made: dict[str, Staff] = {}
    for row in rows:
        values = dict(row.parsed)
        if isinstance(values["supervisor"], str):
            values["supervisor"] = made[values["supervisor"]]
        try:
            made[values["username"]] = create_staff(actor=actor, **values)
        except (ValidationError, Conflict) as exc:
            raise _RowFailed(row.line, _message(exc)) from None


def _write_persons(actor: Any, rows: list[Row]) -> None:
    from pillars.people.services import import_person

    for row in rows:
        try:
            import_person(actor=actor, **row.parsed)
        except (ValidationError, Conflict) as exc:
            raise _RowFailed(row.line, _message(exc)) from None


WRITERS: dict[str, Callable[[Any, list[Row]], None]] = {
    "staff": _write_staff,
    "persons": _write_persons,
}


class _RowFailed(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _message(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(msgs)}" if name != "__all__" else " ".join(msgs)
            for name, msgs in exc.message_dict.items()
        )
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def run(
    kind: str,
    data: bytes,
    *,
    actor: Any,
    commit: bool = False,
    source: str = "",
    hold: bool = False,
) -> Report:
    """Check a file and, when ``commit`` and every row is good, import all of it at once.
    With ``hold``, a good file's bytes are kept for a later confirmation (``report.pending``,
    see ``commit_pending``) in the same transaction as the dry run's audit event.

    Raises PermissionDenied when the actor may not import, and FileRefused for a file that
    cannot be read at all; every row-level problem goes into the report instead.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    policy.require(actor, "people.import")
    report = Report(kind=kind, source=source[:200], sha256=hashlib.sha256(data).hexdigest())
    text = decode(data)
    rows = read_rows(KINDS[kind], text, report.problems)
    report.rows = len(rows)
    if not rows and not report.problems:
        report.problems.append(Problem(2, "the file has a header but no rows"))
    if rows:
        CHECKS[kind](rows, report.problems, organization_for(actor))
    report.problems.sort(key=lambda p: p.line)
    if not commit or not report.ok:
        with transaction.atomic():
            if hold and not commit and report.ok:
                report.pending = _hold(actor, report, data)
            _audit(actor, report, dry_run=not commit)
        return report
    try:
        with transaction.atomic():
            WRITERS[kind](actor, rows)
            report.imported = len(rows)
            report.committed = True
            _audit(actor, report, dry_run=False)
    except _RowFailed as exc:
        # Something changed between the check and the write (another admin, a bed taken):
        # the whole file is rolled back, and the report names the row.
        report.imported, report.committed = 0, False
        report.problems.append(Problem(exc.line, exc.message))
        _audit(actor, report, dry_run=False)
    except (PermissionDenied, Http404):
        raise
    return report


def _hold(actor: Any, report: Report, data: bytes) -> PendingImport:
    """Keep a checked file for its confirmation; one waits per administrator, so checking
    another file replaces it."""
    return pending_imports.hold(
        policy.actor_for(actor).user,
        minutes=PENDING_MINUTES,
        replacing={},
        organization_id=organization_for(actor),
        kind=report.kind,
        source=report.source,
        sha256=report.sha256,
        data=data,
        rows=report.rows,
    )


def commit_pending(public_id: Any, *, actor: Any) -> Report | None:
    """Import a file held by ``run(..., hold=True)``: exactly the checked bytes, once, by the
    administrator who checked them, before it expires. None when there is no such file (used
    already, expired, or someone else's); a file that went bad since its check is imported
    not at all, and its report says why."""
    policy.require(actor, "people.import")
    with transaction.atomic():
        pending = pending_imports.claim(public_id, policy.actor_for(actor).user)
        if pending is None:
            return None
        return run(
            pending.kind,
            bytes(pending.data),
            actor=actor,
            commit=True,
            source=pending.source,
        )


def sweep_expired(now: datetime) -> int:
    """Delete held files whose confirmation time has passed; how many went."""
    deleted, _ = PendingImport.objects.filter(expires_at__lte=now).delete()
    return int(deleted)


def _audit(actor: Any, report: Report, *, dry_run: bool) -> None:
    audit.record(
        actor=policy.actor_for(actor).user,
        action=Action.IMPORT,
        object_type=f"people.import.{report.kind}",
        object_id=report.sha256[:64],
        outcome=Outcome.SUCCESS if report.ok else Outcome.FAILED,
        category=Category.GENERAL if report.kind == "persons" else Category.NONE,
        purpose=Purpose.ADMINISTRATION,
        detail={
            "kind": report.kind,
            "source": report.source,
            "dry_run": dry_run,
            "rows": report.rows,
            "imported": report.imported,
            "bad_lines": sorted({p.line for p in report.problems})[:100],
            **(
                {
                    "pending": str(report.pending.public_id),
                    "expires_at": report.pending.expires_at.isoformat(),
                }
                if report.pending is not None
                else {}
            ),
        },
    )
