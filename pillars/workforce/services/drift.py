"""Writes of the drift area: a staff member's own time log, and the review that puts a drift
item on a peer's next supervision agenda when a month crosses a threshold (a sweep)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action
from pillars.core import clock, policy, sweeps
from pillars.core.errors import ValidationError
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.people.models import Staff
from pillars.workforce.models.drift import DriftThreshold, NonPeerTask, TimeLogEntry
from pillars.workforce.models.supervision import AgendaItem, AgendaSource
from pillars.workforce.selectors.drift import add_months, drift_months, month_start, zone_for
from pillars.workforce.services.staff_audit import audit_operations

# How far back an entry may be logged: a month closes for drift review soon after it ends.
LOG_DAYS_BACK = 62
DRIFT_LABEL = "role drift review"


def log_time(
    *,
    actor: Any,
    worked_on: Any,
    task: str,
    minutes: int,
    note: str = "",
    client_id: UUID | None = None,
) -> TimeLogEntry:
    """Log minutes one spent on a non-peer task on a day (one's own log only)."""
    acting = policy.actor_for(actor)
    staff = Staff.objects.filter(pk=acting.staff_id).first() if acting.staff_id else None
    policy.require(actor, "workforce.log_time", staff)
    assert staff is not None
    # The peer's own day (their unit's zone, as their drift months are counted): at 21:00 in
    # Chicago UTC is already on tomorrow.
    today = clock.today_in(zone_for([staff.pk]))
    errors: dict[str, list[str]] = {}
    if task not in NonPeerTask.values:
        errors["task"] = ["Choose a kind of task."]
    if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        errors["minutes"] = ["Minutes must be between 1 and 1440."]
    if worked_on > today:
        errors["worked_on"] = ["The day cannot be in the future."]
    elif worked_on < today - timedelta(days=LOG_DAYS_BACK):
        errors["worked_on"] = [f"Log time within {LOG_DAYS_BACK} days."]
    elif worked_on < staff.hired_on:
        errors["worked_on"] = [f"You started work on {staff.hired_on:%Y-%m-%d}."]
    if len(note) > 200:
        errors["note"] = ["The note is limited to 200 characters."]
    if errors:
        raise ValidationError(errors)
    with atomic_or_conflict("This entry was logged a moment ago."):
        if existing := replayed(
            TimeLogEntry,
            client_id,
            {"staff_id": staff.pk},
            "That replay key belongs to another entry.",
        ):
            return existing
        entry = TimeLogEntry.objects.create(
            staff=staff,
            worked_on=worked_on,
            task=task,
            minutes=minutes,
            note=note.strip(),
            recorded_at=clock.now(),
            client_id=client_id,
        )
        audit_operations(
            actor,
            Action.CREATE,
            entry,
            audit.changes(
                None, {"worked_on": worked_on.isoformat(), "task": task, "minutes": minutes}
            ),
        )
    return entry


def _review_peer(staff_pk: int, now: datetime) -> int:
    """Put one drift item per crossed threshold and month on the peer's agenda (last month and
    this month so far); the dedupe key makes each land once, whoever runs the review."""
    staff = Staff.objects.get(pk=staff_pk)
    zone = zone_for([staff.pk])
    this_month = month_start(clock.local(now, zone).date())
    made = 0
    for row in drift_months([staff.pk], add_months(this_month, -1), this_month, zone):
        for threshold in DriftThreshold.objects.filter(is_active=True).order_by("pk"):
            value = row.value(threshold.metric)
            if not threshold.crossed(value, row.notes):
                continue
            key = f"drift:{staff.public_id}:{threshold.code}:{row.month:%Y-%m}"
            if AgendaItem.objects.filter(dedupe_key=key).exists():
                continue
            item = AgendaItem.objects.create(
                supervisee=staff,
                source=AgendaSource.DRIFT,
                text=(
                    f"Role drift in {row.month:%B %Y}: {threshold.label} "
                    f"({value} against {threshold.limit})."
                )[:300],
                detail={
                    "threshold": threshold.code,
                    "month": f"{row.month:%Y-%m}",
                    "value": str(value),
                    "limit": str(threshold.limit),
                    "notes": row.notes,
                },
                created_at=now,
                dedupe_key=key,
            )
            audit_operations(
                None,
                Action.CREATE,
                item,
                {"threshold": threshold.code, "month": f"{row.month:%Y-%m}"},
                actor_label=DRIFT_LABEL,
            )
            made += 1
    return made


def review_drift(now: datetime | None = None) -> sweeps.SweepResult:
    """One sweep over every employed peer: a month over a drift threshold puts an item on the
    peer's next supervision agenda (each row through the one failure policy)."""
    now = now or clock.now()
    result = sweeps.SweepResult("role drift review")
    peers = list(
        Staff.objects.filter(roles__code="peer")
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=clock.organization_today(now)))
        .distinct()
        .order_by("pk")
        .values_list("pk", "public_id")
    )
    for pk, public_id in sweeps.within_budget(result, peers):
        made = sweeps.guarded(
            result,
            lambda pk=pk: _review_peer(pk, now),  # type: ignore[misc]
            label=DRIFT_LABEL,
            object_type="people.staff",
            object_id=str(public_id),
        )
        result.claimed += 1
        result.alerts += made or 0
    return result
