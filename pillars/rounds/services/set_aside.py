"""Queued checks the server would not take, kept for a lead instead of lost.

A tablet drains its offline queue through the batch sync; an item the schema refuses (named by
its index, ``checks.3.location``) or the server refuses (the order ended meanwhile, a time in
the future) cannot be sent again as it is. The tablet sends it here: it is stored with the
problem, the lead on duty is alerted, and the lead resolves it on the unit's page of set-aside
checks, by recording the check (their own entry, late and with its reason, naming who queued it)
or by closing it with a note. Nothing a staff member queued disappears without a person
deciding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from django.db import transaction
from django.utils.dateparse import parse_datetime

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import Conflict, invalid
from pillars.people import alerts
from pillars.people.alerts import Alert, AlertKind, Subject
from pillars.people.models import Placement
from pillars.people.selectors import record_person_event
from pillars.rounds.models import Check, ObservationOrder, SetAsideCheck
from pillars.rounds.services.escalation import on_duty_for
from pillars.rounds.services.orders import record_check

MAX_ITEMS = 100
# The queued fields kept as sent (no person served's name is ever in a queued check).
KEPT = ("client_id", "observed_at", "location", "activity", "safety_status", "note", "late_reason")
MAX_VALUE = 600
SUBJECT = "rounds.setaside"


@dataclass(frozen=True)
class SetAsideItem:
    """One queued check as the tablet kept it, and what the server said about it."""

    order: str
    problem: str
    fields: Mapping[str, Any]


def _kept(fields: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(fields[k])[:MAX_VALUE] for k in KEPT if fields.get(k) not in (None, "")}


def _moment(value: str | None) -> datetime | None:
    """The queued check's moment when it names one the database can keep (an aware time in
    the years ``clock.storable`` takes), else None: its text stays in the kept fields."""
    try:
        moment = parse_datetime(value or "")
        return clock.storable(moment) if moment is not None and moment.tzinfo else None
    except ValueError:
        return None


def set_aside_checks(items: Sequence[SetAsideItem], *, actor: Any) -> list[SetAsideCheck | None]:
    """Store each item for the lead of its order's unit and alert them; an item whose order the
    actor may not record on (or that does not exist) is not stored (None), exactly as a check
    on it would answer 404, so nobody can place work in another unit's list."""
    acting = policy.require(actor, "rounds.record_check")
    if not items:
        raise invalid("items", "Send at least one set-aside check.")
    if len(items) > MAX_ITEMS:
        raise invalid("items", f"Send at most {MAX_ITEMS} set-aside checks at once.")
    problems = [(item.problem or "").strip() for item in items]
    if any(not p for p in problems):
        raise invalid("problem", "Say why each check was set aside.")
    wanted: set[UUID] = set()
    for item in items:
        try:
            wanted.add(UUID(str(item.order)))
        except ValueError:
            continue
    visible = {
        o.public_id: o
        for o in policy.restrict(
            ObservationOrder.objects.filter(public_id__in=wanted), acting, "rounds.record_check"
        ).select_related("person")
    }
    unit_of = dict(
        Placement.objects.filter(
            episode_id__in={o.episode_id for o in visible.values()}, ended_at__isnull=True
        ).values_list("episode_id", "unit_id")
    )
    now = clock.now()
    stored: list[SetAsideCheck | None] = []
    with transaction.atomic():
        drafted: list[Alert] = []
        for item, problem in zip(items, problems, strict=True):
            try:
                order = visible.get(UUID(str(item.order)))
            except ValueError:
                order = None
            unit_id = unit_of.get(order.episode_id) if order is not None else None
            if order is None or unit_id is None:
                stored.append(None)
                continue
            fields = _kept(item.fields)
            row = SetAsideCheck.objects.create(
                unit_id=unit_id,
                order=order,
                submitted_by_id=acting.staff_pk,
                submitted_at=now,
                observed_at=_moment(fields.get("observed_at")),
                payload=fields,
                problem=problem[:500],
            )
            record_person_event(
                order.person,
                actor=actor,
                action=Action.CREATE,
                target=row,
                detail={"order": str(order.public_id), "problem": row.problem, "check": fields},
            )
            drafted += alerts.draft(
                on_duty_for(order, row.unit, now),
                kind=AlertKind.OTHER,
                message=(
                    f"A check for {order.person.display_name} queued on a tablet could not "
                    f"be saved and was set aside: {row.problem}"
                ),
                due_at=row.observed_at or now,
                dedupe_key=f"sa:{row.public_id}",
                unit=row.unit,
                person=order.person,
                subject=Subject(SUBJECT, row.public_id),
                now=now,
            )
            stored.append(row)
        alerts.write_many(drafted)
    return stored


def _close(
    row: SetAsideCheck,
    *,
    actor: Any,
    acting: Any,
    note: str,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    """Mark the (locked, open) row resolved, close its alert and audit how it was resolved."""
    row.resolved_at, row.resolved_by_id, row.resolution_note = now, acting.staff_pk, note
    row.save(update_fields=["resolved_at", "resolved_by", "resolution_note", "check_record"])
    alerts.resolve(
        alerts.about(Subject(SUBJECT, row.public_id)),
        moment=now,
        reason="The set-aside check was resolved.",
    )
    record_person_event(
        row.order.person,
        actor=actor,
        action=Action.UPDATE,
        target=row,
        detail=detail,
    )


def _open(row: SetAsideCheck) -> SetAsideCheck:
    locked = (
        SetAsideCheck.objects.select_for_update(of=("self",))
        .select_related("order__person", "unit", "submitted_by")
        .get(pk=row.pk)
    )
    if not locked.is_open:
        raise Conflict("Someone resolved this set-aside check a moment ago.")
    return locked


def close_set_aside(row: SetAsideCheck, *, actor: Any, note: str) -> SetAsideCheck:
    """The lead closes a set-aside check without recording it, saying why (the person was seen
    and recorded another way, the order had ended, ...)."""
    acting = policy.require(actor, "rounds.resolve_set_aside", row)
    note = (note or "").strip()
    if not note:
        raise invalid("note", "Say why the check is closed without recording it.")
    if len(note) > 500:
        raise invalid("note", "Keep the note to 500 characters.")
    now = clock.now()
    with transaction.atomic():
        locked = _open(row)
        _close(
            locked,
            actor=actor,
            acting=acting,
            note=note,
            now=now,
            detail={"resolution": "closed", "note": note},
        )
    return locked


def record_set_aside(
    row: SetAsideCheck,
    *,
    actor: Any,
    observed_at: datetime,
    location: str,
    activity: str,
    safety_status: str,
    note: str,
    late_reason: str,
) -> Check:
    """The lead records the set-aside check as their own entry (the integrity report shows who
    entered it and how late); the note names who queued it. The check's own rules apply: a
    late entry needs its reason, an ended order refuses (close it with a note instead)."""
    acting = policy.require(actor, "rounds.resolve_set_aside", row)
    queued_by = row.submitted_by.display_name
    text = f"Set aside on a tablet by {queued_by}. {(note or '').strip()}".strip()[:500]
    now = clock.now()
    with transaction.atomic():
        locked = _open(row)
        check = record_check(
            locked.order,
            actor=actor,
            observed_at=observed_at,
            location=location,
            activity=activity,
            safety_status=safety_status,
            client_id=uuid4(),
            note=text,
            late_reason=late_reason,
        )
        locked.check_record = check
        _close(
            locked,
            actor=actor,
            acting=acting,
            note="Recorded as a check.",
            now=now,
            detail={"resolution": "recorded", "check": str(check.public_id)},
        )
    return check
