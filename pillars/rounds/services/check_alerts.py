"""What a recorded check does to alerts, in the transaction that stores it.

- A check recorded as anything but safe (an emergency, a concern) alerts the unit's lead on
  duty at once (``recipients_for(LEAD)``: the shift lead now, else the unit's nurses), whoever
  made the check; the board keeps showing it until one of them acknowledges it.
- A check that moves an order's clock answers the "check due" and "check overdue" alerts of that
  order that are still open: they close themselves, with the time and the reason kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pillars.core import clock
from pillars.people.models import Placement, Unit
from pillars.rounds.choices import AlertKind, Location, Recipient, SafetyStatus
from pillars.rounds.models import Alert, Check, ObservationOrder
from pillars.rounds.services.escalation import recipients_for, write_new_alerts

STATUS_KINDS = {
    SafetyStatus.EMERGENCY: AlertKind.EMERGENCY,
    SafetyStatus.CONCERN: AlertKind.CONCERN,
}
CHECK_KINDS = (AlertKind.CHECK_DUE, AlertKind.ESCALATION)
ANSWERED = "Answered: the check was recorded"


def status_key(check: Check) -> str:
    """The dedupe key prefix of the alerts one check raised (one alert per recipient)."""
    return f"status:{check.public_id}:"


def _unit_of(order: ObservationOrder) -> Unit | None:
    placement = (
        Placement.objects.filter(episode_id=order.episode_id, ended_at__isnull=True)
        .select_related("unit")
        .first()
    )
    return placement.unit if placement is not None else None


def _status_message(check: Check, order: ObservationOrder, unit: Unit) -> str:
    local = clock.local(check.observed_at, unit.time_zone)
    what = "EMERGENCY" if check.safety_status == SafetyStatus.EMERGENCY else "Concern"
    where = Location(check.location).label if check.location in Location.values else "?"
    note = f" Note: {check.note}" if check.note else ""
    text = (
        f"{what} recorded for {order.person.display_name} at {local:%H:%M} ({where}) by "
        f"{check.observed_by.display_name}.{note} Acknowledge when you have seen to it."
    )
    return text[:300]


def raise_status_alerts(checks: Iterable[Check], orders: dict[int, ObservationOrder]) -> int:
    """Alert the lead on duty for every emergency or concern among ``checks``; returns how many
    alerts were written (a replayed check writes none: the dedupe key is taken)."""
    now = clock.now()
    alerts: list[Alert] = []
    for check in checks:
        kind = STATUS_KINDS.get(SafetyStatus(check.safety_status)) if check.safety_status else None
        if kind is None:
            continue
        order = orders[check.order_id]
        unit = _unit_of(order)
        if unit is None:
            continue
        message = _status_message(check, order, unit)
        for staff in recipients_for(Recipient.LEAD, order, unit, now):
            alerts.append(
                Alert(
                    kind=kind,
                    recipient=staff,
                    unit=unit,
                    person_id=order.person_id,
                    order=order,
                    message=message,
                    due_at=check.observed_at,
                    created_at=now,
                    dedupe_key=f"{status_key(check)}{staff.public_id}",
                )
            )
    return len(write_new_alerts(alerts))


def resolve_check_alerts(order: ObservationOrder, check: Check) -> int:
    """Close the order's open "check due"/"overdue" alerts that this check answers (those due
    no later than the order's new due time), keeping when and why."""
    upper = order.due_at if order.due_at is not None else check.recorded_at
    return Alert.objects.filter(
        order=order,
        kind__in=CHECK_KINDS,
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
        due_at__lte=upper,
    ).update(resolved_at=check.recorded_at, resolved_reason=ANSWERED)


def after_checks(
    created: list[Check], orders: dict[int, ObservationOrder], answered: set[int]
) -> None:
    """Everything a batch of new checks does to alerts (same transaction as the checks).
    ``answered``: the orders whose clock the checks moved while the escalation chain had
    already alerted someone (``escalation_step`` above 0 before the check), so a routine
    check on time costs no query here."""
    raise_status_alerts(created, orders)
    latest: dict[int, Check] = {}
    for check in created:
        if check.order_id in answered and (
            check.order_id not in latest or check.observed_at > latest[check.order_id].observed_at
        ):
            latest[check.order_id] = check
    for order_id, check in latest.items():
        resolve_check_alerts(orders[order_id], check)


def unacknowledged_status_alerts(
    unit: Unit, person_ids: list[int], since: datetime
) -> dict[int, list[Alert]]:
    """Per person, the newest emergency/concern alert of each check that no recipient has
    acknowledged yet (the board's flag), in one query."""
    rows = list(
        Alert.objects.filter(
            unit=unit,
            person_id__in=person_ids,
            kind__in=list(STATUS_KINDS.values()),
            created_at__gte=since,
        ).order_by("-due_at", "pk")
    )
    by_check: dict[str, list[Alert]] = {}
    for alert in rows:
        by_check.setdefault(alert.dedupe_key.rsplit(":", 1)[0], []).append(alert)
    out: dict[int, list[Alert]] = {}
    for alerts in by_check.values():
        if any(a.acknowledged_at is not None for a in alerts):
            continue
        first = alerts[0]
        if first.person_id is not None:
            out.setdefault(first.person_id, []).append(first)
    return out
