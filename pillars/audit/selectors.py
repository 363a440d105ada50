"""Reads of the audit log: the privacy officer's report (DESIGN.md rule 4).

The report names persons served by record number through ``audit.persons``, which the people
app fills in: audit imports no domain app (it sits below them all).

A staff member's own wellbeing check-ins are theirs (DESIGN.md rule 5), and so is the fact that
they answered one, read their own, or were invited to one after an exposure. The report and its
export show such an event (``withheld_q``) by its number, time, action, outcome, category and
kind of record only: the actor is "a staff member", and the record's id, the address, the
request and the detail are left out. Filters and sorting go by what is shown, so neither a
staff filter nor the order of the rows gives the name back. The chain keeps every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    F,
    GenericIPAddressField,
    Max,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from pillars.audit import persons
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.audit.models import AuditEvent
from pillars.core import policy
from pillars.core.reads import choice_label

# What a withheld wellbeing event shows for its actor.
STAFF_MEMBER = "a staff member"
# The object id of a read of figures about groups (workforce aggregates of five or more): it is
# about no one staff member, so its reader is named like any other.
AGGREGATE_ID = "aggregate"


def withheld_q() -> Q:
    """Events about one staff member's wellbeing: the report withholds who and which record.

    The audit log cannot tell whether an actor is the staff member the record is about (an
    exposure may be recorded by the person it happened to), so every signed-in actor of such an
    event is shown as "a staff member"; a sweep's label (no account) names no one and stays."""
    return Q(category=Category.WELLBEING) & ~Q(object_id=AGGREGATE_ID)


def is_withheld(event: AuditEvent) -> bool:
    """``withheld_q`` for one event already read."""
    return event.category == Category.WELLBEING and event.object_id != AGGREGATE_ID


def _shown(qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """The columns the report sorts on, as the report shows them."""
    withheld = withheld_q()
    return qs.annotate(
        shown_who=Case(
            When(withheld & Q(actor__isnull=False), then=Value(STAFF_MEMBER)),
            default=F("actor_label"),
            output_field=CharField(),
        ),
        shown_object_id=Case(
            When(withheld, then=Value("")), default=F("object_id"), output_field=CharField()
        ),
        shown_ip=Case(
            When(withheld, then=Value(None)),
            default=F("ip"),
            output_field=GenericIPAddressField(),
        ),
    )


# The only orderings the report accepts: a key from the page maps to fields chosen here, so no
# request parameter ever reaches order_by. ``seq`` breaks ties so pages never overlap.
# Each column's fields; "-" before a key sorts the same fields descending. Who, what and from
# where sort by what the report shows (``_shown``).
_SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "when": ("occurred_at", "seq"),
    "who": ("shown_who", "seq"),
    "action": ("action", "seq"),
    "what": ("object_type", "shown_object_id", "seq"),
    "person": ("person_id", "seq"),
    "outcome": ("outcome", "seq"),
    "category": ("category", "seq"),
    "purpose": ("purpose", "seq"),
    "ip": ("shown_ip", "seq"),
}
SORTS: dict[str, tuple[str, ...]] = {}
for _key, _fields in _SORT_FIELDS.items():
    SORTS[_key] = _fields
    SORTS[f"-{_key}"] = tuple(f"-{name}" for name in _fields)
DEFAULT_SORT = "-when"
PAGE_SIZE = 50

OUTCOME_LOOK: dict[str, tuple[str, str]] = {
    # outcome -> (css status class, icon); the text label always goes with the icon
    Outcome.SUCCESS: ("ok", "✓"),
    Outcome.DENIED: ("danger", "⊘"),
    Outcome.FAILED: ("warn", "⚠"),
}


def sort_key(raw: str | None) -> str:
    """The allowlisted sort key for a request value; anything unknown gives the default."""
    return raw if raw in SORTS else DEFAULT_SORT


def report_zone() -> ZoneInfo:
    """The zone the report's dates are read in: the organization's default zone."""
    return ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of a local calendar day, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass(frozen=True)
class ReportFilters:
    """What the privacy officer asked for; dates already turned into moments (end exclusive)."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    person_id: UUID | None = None
    staff: str = ""
    category: str = ""
    action: str = ""
    outcome: str = ""

    @classmethod
    def from_dates(
        cls, *, date_from: date | None = None, date_to: date | None = None, **rest: Any
    ) -> ReportFilters:
        """Dates are local calendar days in the default zone; ``date_to`` is inclusive."""
        zone = report_zone()
        return cls(
            starts_at=day_start(date_from, zone) if date_from else None,
            ends_at=day_start(date_to + timedelta(days=1), zone) if date_to else None,
            **rest,
        )


def resolve_person(term: str, user: Any) -> UUID | None:
    """A person served named by record number (exact, any case, in the user's organization) or
    by public id."""
    term = term.strip()
    if not term:
        return None
    try:
        return UUID(term)
    except ValueError:
        pass
    return persons.person_by_record_number(term, user)


def _filtered(filters: ReportFilters, sort: str) -> QuerySet[AuditEvent]:
    qs = _shown(AuditEvent.objects.all())
    if filters.starts_at is not None:
        qs = qs.filter(occurred_at__gte=filters.starts_at)
    if filters.ends_at is not None:
        qs = qs.filter(occurred_at__lt=filters.ends_at)
    if filters.person_id is not None:
        # A list read names its persons in detail["person_ids"]; reading the JSON as text and
        # searching for the UUID works the same on SQLite and PostgreSQL (a full scan of the
        # filtered rows; the other filters narrow it first). A withheld event's detail is not
        # shown, so it is not searched either.
        qs = qs.annotate(detail_text=Cast("detail", TextField())).filter(
            Q(person_id=filters.person_id)
            | (Q(detail_text__icontains=str(filters.person_id)) & ~withheld_q())
        )
    if filters.staff:
        # Failed sign-ins have no account, only the name that was typed. A withheld event
        # names no staff member, so no name finds it.
        qs = qs.filter(
            Q(actor__username__iexact=filters.staff) | Q(actor_label__iexact=filters.staff)
        ).exclude(withheld_q() & Q(actor__isnull=False))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    return qs.order_by(*SORTS[sort_key(sort)])


def report_events(user: Any, filters: ReportFilters, sort: str = "") -> QuerySet[AuditEvent]:
    """The events the report shows, for the privacy officer only (403 for anyone else)."""
    policy.require(user, "audit.view_report")
    events = policy.restrict(_filtered(filters, sort), user, "audit.view_report")
    return events.select_related("actor__staff")


def export_events(
    user: Any, filters: ReportFilters, sort: str = ""
) -> tuple[QuerySet[AuditEvent], int]:
    """The same events for the CSV export (its own policy action), fixed at the last event
    written now: events appended while the file streams (the export's own event among them)
    are not in it, so the file matches the row count its audit event states."""
    policy.require(user, "audit.export")
    through = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    qs = policy.restrict(_filtered(filters, sort), user, "audit.export")
    qs = qs.filter(seq__lte=through).select_related("actor__staff")
    return qs, through


# --- Rows for display and export ---------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One event as the report shows it."""

    seq: int
    occurred_at: datetime
    local_at: datetime
    who: str
    staff_name: str
    action: str
    action_label: str
    what: str
    object_type: str
    object_id: str
    person: str
    person_id: str
    record_number: str
    outcome: str
    outcome_label: str
    outcome_class: str
    outcome_icon: str
    category: str
    category_label: str
    purpose_label: str
    ip: str
    request_id: str
    detail: dict[str, Any]


def _model_label(object_type: str) -> str:
    if not object_type:
        return ""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return object_type


def _what(event: AuditEvent) -> str:
    detail = event.detail if isinstance(event.detail, dict) else {}
    parts = [_model_label(event.object_type)]
    hint = detail.get("what") or detail.get("event") or detail.get("step")
    if isinstance(detail.get("person_ids"), list):
        count = len(detail["person_ids"])
        parts.append(f"list ({event.object_id}, {count} shown)")
    elif hint:
        parts.append(str(hint))
    elif detail.get("policy_action"):
        parts.append(str(detail["policy_action"]))
    return ": ".join(p for p in parts if p)


def record_numbers(person_ids: Iterable[UUID]) -> dict[str, str]:
    """Record numbers of the persons served named by public id (one query)."""
    ids = {pid for pid in person_ids if pid}
    if not ids:
        return {}
    return persons.record_numbers(ids)


def _person_cell(event: AuditEvent, numbers: dict[str, str], focus: UUID | None) -> str:
    if event.person_id:
        return numbers.get(str(event.person_id), str(event.person_id))
    listed = event.detail.get("person_ids") if isinstance(event.detail, dict) else None
    if isinstance(listed, list) and listed:
        if focus is not None and str(focus) in listed:
            return f"{numbers.get(str(focus), str(focus))} (in a list of {len(listed)})"
        return f"{len(listed)} in a list"
    return ""


def _staff_name(event: AuditEvent) -> str:
    staff = getattr(event.actor, "staff", None) if event.actor_id else None
    return staff.display_name if staff is not None else ""


def _withheld_row(row: ReportRow, event: AuditEvent) -> ReportRow:
    """The row of a withheld wellbeing event: its number, time, action, outcome, category,
    purpose and kind of record; nothing that names the staff member or their record."""
    return replace(
        row,
        who=STAFF_MEMBER if event.actor_id else row.who,
        staff_name="",
        what=_model_label(event.object_type),
        object_id="",
        ip="",
        request_id="",
        detail={},
    )


def rows_for(events: list[AuditEvent], *, focus: UUID | None = None) -> list[ReportRow]:
    """Display rows for a page of events; record numbers resolved in one query. Wellbeing
    events about one staff member are withheld (``_withheld_row``)."""
    zone = report_zone()
    wanted = [e.person_id for e in events if e.person_id]
    if focus is not None:
        wanted.append(focus)
    numbers = record_numbers(wanted)
    rows = []
    for event in events:
        css, icon = OUTCOME_LOOK.get(event.outcome, ("", "•"))
        row = ReportRow(
            seq=event.seq,
            occurred_at=event.occurred_at,
            local_at=event.occurred_at.astimezone(zone),
            who=event.actor_label or "(nobody signed in)",
            staff_name=_staff_name(event),
            action=event.action,
            action_label=choice_label(Action, event.action),
            what=_what(event),
            object_type=event.object_type,
            object_id=event.object_id,
            person=_person_cell(event, numbers, focus),
            person_id=str(event.person_id or ""),
            record_number=numbers.get(str(event.person_id), "") if event.person_id else "",
            outcome=event.outcome,
            outcome_label=choice_label(Outcome, event.outcome),
            outcome_class=css,
            outcome_icon=icon,
            category=event.category,
            category_label=choice_label(Category, event.category),
            purpose_label=choice_label(Purpose, event.purpose) if event.purpose else "",
            ip=event.ip or "",
            request_id=event.request_id,
            detail=event.detail if isinstance(event.detail, dict) else {},
        )
        rows.append(_withheld_row(row, event) if is_withheld(event) else row)
    return rows


def has_part2(rows: Iterable[ReportRow]) -> bool:
    return any(row.category == Category.SUBSTANCE_USE for row in rows)


CSV_HEADER = [
    "seq",
    "occurred_at_utc",
    "occurred_at_local",
    "sign_in_name",
    "staff_name",
    "action",
    "what",
    "object_type",
    "object_id",
    "person_id",
    "record_number",
    "outcome",
    "category",
    "purpose",
    "ip",
    "request_id",
    "detail",
]


def csv_rows(
    events: QuerySet[AuditEvent], *, focus: UUID | None = None, chunk: int = 1000
) -> Iterator[list[str]]:
    """The export's rows, read in chunks so a large log streams in bounded memory."""
    batch: list[AuditEvent] = []
    for event in events.iterator(chunk_size=chunk):
        batch.append(event)
        if len(batch) >= chunk:
            yield from _csv_batch(batch, focus)
            batch = []
    if batch:
        yield from _csv_batch(batch, focus)


def _csv_batch(batch: list[AuditEvent], focus: UUID | None) -> Iterator[list[str]]:
    for row in rows_for(batch, focus=focus):
        yield [
            str(row.seq),
            row.occurred_at.isoformat(),
            row.local_at.isoformat(),
            row.who,
            row.staff_name,
            row.action,
            row.what,
            row.object_type,
            row.object_id,
            row.person_id,
            row.record_number,
            row.outcome,
            row.category,
            row.purpose_label,
            row.ip,
            row.request_id,
            json.dumps(row.detail, sort_keys=True, ensure_ascii=False),
        ]
