"""1:1 and 2:1 coverage: who is with the person now, relief handoffs signed by both staff
members, alerts when coverage lapses, and who is free for rounds.

A relief handoff ends the outgoing stretch and starts the incoming one at the same moment, so
there is never a gap in the record. The outgoing staff member signs by being signed in; the
incoming one confirms with their badge PIN (the same PIN and check as tablet switching).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from pillars.audit.choices import Action
from pillars.core import clock, policy, sweeps
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import atomic_or_conflict
from pillars.people import alerts, hooks
from pillars.people.alerts import Alert, AlertKind
from pillars.people.models import Placement, Staff, Unit
from pillars.people.selectors import record_person_event
from pillars.people.services import confirm_pin
from pillars.rounds.models import Coverage, ObservationLevel, ObservationOrder
from pillars.rounds.selectors.assignments import assignments_active_at
from pillars.rounds.services.assignments import _staff_problem
from pillars.rounds.services.escalation import on_duty_for, order_subject
from pillars.rounds.services.orders import order_observation


def _unit_of(order: ObservationOrder) -> Unit | None:
    placement = (
        Placement.objects.current().filter(episode=order.episode_id).select_related("unit").first()
    )
    return placement.unit if placement is not None else None


def _check_coverer(
    staff: Staff, order: ObservationOrder, moment: datetime, field: str
) -> list[hooks.FloorProblem]:
    """Refuse (on ``field``) a staff member who may not cover ``order``; return what the floor
    gate found, whose warnings the service records with the coverage, in its transaction (so a
    coverage that then fails leaves no warning behind)."""
    unit = _unit_of(order)
    if unit is None:
        raise invalid(field, f"{order.person.display_name} is not on a unit.")
    day = clock.local(moment, unit.time_zone).date()
    if (problem := _staff_problem(staff, unit, "rounds.cover", day)) is not None:
        raise invalid(field, problem)
    # The floor knows (workforce floor rules): a lapsed credential or training blocks or warns.
    floor = hooks.floor_problems(staff, hooks.FloorTask.ONE_TO_ONE)
    if (blocked := hooks.floor_blocked(floor)) is not None:
        raise invalid(field, blocked)
    return floor


def _record_floor_warnings(
    staff: Staff, order: ObservationOrder, floor: list[hooks.FloorProblem]
) -> None:
    hooks.record_floor_warnings(staff, hooks.FloorTask.ONE_TO_ONE, floor, subject=order)


def _new_stretch(
    order: ObservationOrder,
    staff: Staff,
    started_at: datetime,
    started_by_pk: int,
    now: datetime,
    **relief: Any,
) -> Coverage:
    """A stretch of ``staff`` with the person of ``order`` from ``started_at``, entered ``now``
    by the staff member ``started_by_pk``; ``relief`` says which signed relief it takes over."""
    return Coverage.objects.create(
        order=order,
        staff=staff,
        started_at=started_at,
        started_by_id=started_by_pk,
        recorded_at=now,
        **relief,
    )


def _busy(staff: Staff) -> Coverage | None:
    return (
        Coverage.objects.filter(staff=staff, ended_at__isnull=True)
        .select_related("order__person")
        .first()
    )


def start_coverage(order: ObservationOrder, *, actor: Any, staff: Staff) -> Coverage:
    """Put a staff member with a person on 1:1 or 2:1 observation, from now."""
    acting = policy.require(actor, "rounds.cover", order)
    now = clock.now()
    floor = _check_coverer(staff, order, now, "staff")
    if (busy := _busy(staff)) is not None:
        raise invalid(
            "staff", f"{staff.display_name} is already with {busy.order.person.display_name}."
        )
    # The one-open-coverage-per-staff constraint: someone else started them a moment ago.
    with atomic_or_conflict(f"{staff.display_name} was put with someone a moment ago."):
        locked = (
            ObservationOrder.objects.select_for_update()
            .select_related("person", "level")
            .get(pk=order.pk)
        )
        if locked.ended_at is not None:
            raise invalid(None, "This observation order has ended.")
        ratio = locked.level.staff_ratio
        if ratio == 0:
            raise invalid(None, f"{locked.level.name} is not 1:1 or 2:1 observation.")
        open_count = Coverage.objects.filter(order=locked, ended_at__isnull=True).count()
        if open_count >= ratio:
            raise invalid(None, f"This person already has {open_count} staff with them.")
        coverage = _new_stretch(locked, staff, now, acting.staff_pk, now)
        _record_floor_warnings(staff, order, floor)
        resolved = resolve_lapse_alerts(
            locked, now, f"{staff.display_name} is with them now.", open_count + 1
        )
        record_person_event(
            locked.person,
            actor=actor,
            action=Action.CREATE,
            target=coverage,
            detail={
                "order": str(locked.public_id),
                "staff": str(staff.public_id),
                "alerts_resolved": resolved,
            },
        )
    return coverage


def relieve(
    coverage: Coverage, *, actor: Any, incoming_staff: Staff, incoming_pin: str
) -> Coverage:
    """A relief handoff signed by both: the outgoing staff member (the signed-in actor, who
    must be the one with the person now: policy ``rounds.relieve``) and the incoming one (their
    badge PIN). The outgoing stretch ends and the incoming starts at the same moment."""
    acting = policy.require(actor, "rounds.relieve", coverage)
    now = clock.now()
    if coverage.ended_at is not None:
        raise invalid(None, "This stretch has already ended.")
    if coverage.order.ended_at is not None:
        raise invalid(None, "This order has changed or ended: end the stretch instead.")
    if incoming_staff.pk == coverage.staff_id:
        raise invalid("incoming_staff", "The incoming staff member must be someone else.")
    floor = _check_coverer(incoming_staff, coverage.order, now, "incoming_staff")
    if (busy := _busy(incoming_staff)) is not None:
        raise invalid(
            "incoming_staff",
            f"{incoming_staff.display_name} is with {busy.order.person.display_name}; "
            "they must be relieved first.",
        )
    confirm_pin(
        incoming_staff,
        incoming_pin,
        actor=actor,
        target=coverage,
        event="relief_pin_failed",
        field="incoming_pin",
    )
    with atomic_or_conflict(f"{incoming_staff.display_name} was put with someone a moment ago."):
        outgoing = (
            Coverage.objects.select_for_update().select_related("order__person").get(pk=coverage.pk)
        )
        if outgoing.ended_at is not None:
            raise Conflict("This stretch was ended a moment ago; reload.")
        outgoing.ended_at = now
        outgoing.end_reason = f"Relieved by {incoming_staff.display_name}"
        outgoing.save(update_fields=["ended_at", "end_reason"])
        incoming = _new_stretch(
            outgoing.order,
            incoming_staff,
            now,
            acting.staff_pk,
            now,
            handed_from=outgoing,
            outgoing_signed_at=now,
            incoming_signed_at=now,
        )
        _record_floor_warnings(incoming_staff, coverage.order, floor)
        person = outgoing.order.person
        resolved = resolve_lapse_alerts(
            outgoing.order, now, f"Relief signed: {incoming_staff.display_name} is with them."
        )
        record_person_event(
            person,
            actor=actor,
            action=Action.CREATE,
            target=incoming,
            detail={
                "event": "relief",
                "alerts_resolved": resolved,
                "order": str(outgoing.order.public_id),
                "outgoing": str(outgoing.public_id),
                "outgoing_staff": str(outgoing.staff.public_id),
                "incoming_staff": str(incoming_staff.public_id),
                "at": now.isoformat(),
            },
        )
    return incoming


def _check_successor(
    successor: Staff, coverage: Coverage, moment: datetime, field: str
) -> list[hooks.FloorProblem]:
    """Refuse a successor who may not take over the stretch; return the floor gate's findings."""
    if successor.pk == coverage.staff_id:
        raise invalid(field, "The successor must be someone else.")
    floor = _check_coverer(successor, coverage.order, moment, field)
    if (busy := _busy(successor)) is not None:
        raise invalid(
            field,
            f"{successor.display_name} is with {busy.order.person.display_name}; "
            "they must be relieved first.",
        )
    return floor


def _level_problem(order: ObservationOrder, level: ObservationLevel, actor: Any) -> str | None:
    if not policy.can(actor, "rounds.order", order):
        return (
            "Only a nurse or clinician may change the observation level; name a successor instead."
        )
    if not level.is_current:
        return "That version of the level has been replaced; choose again."
    if level.staff_ratio >= order.level.staff_ratio:
        return (
            f"Choose a level that needs fewer staff than {order.level.name}; to keep "
            f"{order.level.name}, name a successor."
        )
    return None


def end_coverage(
    coverage: Coverage,
    *,
    actor: Any,
    reason: str,
    successor: Staff | None = None,
    level: ObservationLevel | None = None,
) -> Coverage:
    """End a stretch without a signed relief. Nobody on 1:1 or 2:1 is left with nobody: the end
    names either a successor (who takes over at the same moment, put there by the actor) or a
    new observation level needing fewer staff (ordered in the same transaction, so the order,
    the stretch and the other stretches change together or not at all). An order that has
    already ended (changed or stopped) needs only the reason. Returns the ended stretch."""
    acting = policy.require(actor, "rounds.cover", coverage)
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Say why this stretch ends.")
    if len(reason) > 200:
        raise invalid("reason", "Keep the reason under 200 characters.")
    if coverage.ended_at is not None:
        raise invalid(None, "This stretch has already ended.")
    now = clock.now()
    order = coverage.order
    floor: list[hooks.FloorProblem] = []
    if order.ended_at is not None and (successor is not None or level is not None):
        field = "successor" if successor is not None else "level"
        raise invalid(
            field,
            f"{order.person.display_name}'s order has already changed or ended: give only the "
            "reason.",
        )
    if order.ended_at is None:
        if successor is None and level is None:
            may_order = policy.can(actor, "rounds.order", order)
            errors = {
                "successor": [
                    f"Name who takes over from {coverage.staff.display_name}, "
                    + ("or change the observation level, " if may_order else "")
                    + f"so {order.person.display_name} is not left with nobody."
                    + ("" if may_order else " A nurse or clinician can change the level instead.")
                ]
            }
            if may_order:
                errors["level"] = ["Or choose a new level that needs fewer staff."]
            raise ValidationError(errors)
        if successor is not None and level is not None:
            raise invalid("level", "Name a successor or change the level, not both.")
        if successor is not None:
            floor = _check_successor(successor, coverage, now, "successor")
        if level is not None and (why := _level_problem(order, level, actor)) is not None:
            raise invalid("level", why)
    name = successor.display_name if successor is not None else "The successor"
    with atomic_or_conflict(f"{name} was put with someone a moment ago."):
        locked = (
            Coverage.objects.select_for_update()
            .select_related("order__person", "order__level", "staff")
            .get(pk=coverage.pk)
        )
        if locked.ended_at is not None:
            raise invalid(None, "This stretch has already ended.")
        locked.ended_at = max(now, locked.started_at)
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "end_reason"])
        person = locked.order.person
        detail: dict[str, Any] = {
            "event": "end",
            "reason": reason,
            "staff": str(locked.staff.public_id),
        }
        if successor is not None and locked.order.ended_at is None:
            taken = _new_stretch(locked.order, successor, locked.ended_at, acting.staff_pk, now)
            _record_floor_warnings(successor, locked.order, floor)
            detail["successor"] = str(successor.public_id)
            detail["successor_coverage"] = str(taken.public_id)
            record_person_event(
                person,
                actor=actor,
                action=Action.CREATE,
                target=taken,
                detail={
                    "event": "successor",
                    "order": str(locked.order.public_id),
                    "outgoing": str(locked.public_id),
                    "staff": str(successor.public_id),
                },
            )
            detail["alerts_resolved"] = resolve_lapse_alerts(
                locked.order, now, f"{successor.display_name} is with them now."
            )
        record_person_event(
            person,
            actor=actor,
            action=Action.UPDATE,
            target=locked,
            detail=detail,
        )
        if level is not None and locked.order.ended_at is None:
            # Orders the new level (ending the current order) and moves the person's other
            # open stretches to it (follow_order_change), in this same transaction.
            order_observation(
                person,
                actor=actor,
                level=level,
                reason=reason,
                precautions=locked.order.precautions,
                instructions=locked.order.instructions,
            )
    return locked


def follow_order_change(
    old: ObservationOrder,
    new: ObservationOrder | None,
    moment: datetime,
    *,
    actor: Any,
    acting_pk: int,
) -> int:
    """When an order ends (changed to a new level, or stopped), in the caller's transaction:
    its open stretches end at the same moment; as many as the new level needs carry on with
    the same staff on the new order (earliest first); its coverage-lapse alerts close with the
    reason kept. Returns how many alerts were closed."""
    now = clock.now()
    keep = new.level.staff_ratio if new is not None else 0
    reason = f"Order changed to {new.level.name}" if new is not None else "Observation ended"
    open_rows = list(
        Coverage.objects.select_for_update()
        .filter(order=old, ended_at__isnull=True)
        .select_related("staff")
        .order_by("started_at", "pk")
    )
    person = old.person
    for n, row in enumerate(open_rows):
        row.ended_at = max(moment, row.started_at)
        row.end_reason = reason
        row.save(update_fields=["ended_at", "end_reason"])
        record_person_event(
            person,
            actor=actor,
            action=Action.UPDATE,
            target=row,
            detail={"event": "order_changed", "reason": reason, "staff": str(row.staff.public_id)},
        )
        if new is not None and n < keep:
            carried = _new_stretch(new, row.staff, row.ended_at, acting_pk, now)
            record_person_event(
                person,
                actor=actor,
                action=Action.CREATE,
                target=carried,
                detail={
                    "event": "carried_over",
                    "order": str(new.public_id),
                    "from": str(row.public_id),
                    "staff": str(row.staff.public_id),
                },
            )
    closing = f"The order changed to {new.level.name}." if new else "The observation order ended."
    return resolve_lapse_alerts(old, now, closing, 0, force=True)


def resolve_lapse_alerts(
    order: ObservationOrder,
    moment: datetime,
    reason: str,
    open_count: int | None = None,
    *,
    force: bool = False,
) -> int:
    """Close the order's open coverage-lapse alerts once the person has as many staff with
    them as the level asks (or, ``force``, once the order itself has changed), in the caller's
    transaction; the time and the reason stay on the alert for the inbox history."""
    if not force:
        if open_count is None:
            open_count = Coverage.objects.filter(order=order, ended_at__isnull=True).count()
        if open_count < order.level.staff_ratio:
            return 0
    return alerts.resolve(
        alerts.about(order_subject(order), kinds=[AlertKind.COVERAGE_LAPSE]),
        moment=moment,
        reason=reason,
    )


# --- Lapses and who is free -----------------------------------------------------------------


@dataclass(frozen=True)
class Lapse:
    """An open 1:1/2:1 order with fewer staff than its ratio, since ``since``."""

    order: ObservationOrder
    open_count: int
    ratio: int
    since: datetime


def coverage_lapses(now: datetime, unit: Unit | None = None) -> list[Lapse]:
    """Open 1:1 and 2:1 orders with fewer open coverage stretches than the ratio. A paused
    order (the person is off the unit, in a session...) is not a lapse: nobody is expected to
    be with them until they are back."""
    orders = (
        ObservationOrder.objects.filter(
            ended_at__isnull=True,
            started_at__lte=now,
            paused_at__isnull=True,
            level__staff_ratio__gt=0,
        )
        .annotate(
            open_count=Count(
                "coverage",
                filter=Q(coverage__ended_at__isnull=True, coverage__started_at__lte=now),
            )
        )
        .select_related("person", "level", "episode")
    )
    if unit is not None:
        orders = orders.filter(
            episode__placements__unit=unit, episode__placements__ended_at__isnull=True
        )
    lapses = []
    for order in orders:
        count = order.open_count
        if count >= order.level.staff_ratio:
            continue
        last_end = (
            Coverage.objects.filter(order=order, ended_at__isnull=False)
            .order_by("-ended_at")
            .values_list("ended_at", flat=True)
            .first()
        )
        since = max(m for m in (order.started_at, last_end, order.resumed_at) if m is not None)
        lapses.append(Lapse(order, count, order.level.staff_ratio, since))
    return lapses


SWEEP_LABEL = "coverage sweep"


def _alert_lapse(lapse: Lapse, now: datetime) -> list[Alert]:
    """The alerts of one lapse (one row of the sweep)."""
    unit = _unit_of(lapse.order)
    if unit is None:
        return []
    person = lapse.order.person
    message = (
        f"{person.display_name}: {lapse.order.level.name} has {lapse.open_count} of "
        f"{lapse.ratio} staff with them."
    )[:300]
    with transaction.atomic():
        return alerts.write(
            on_duty_for(lapse.order, unit, now),
            kind=AlertKind.COVERAGE_LAPSE,
            message=message,
            due_at=lapse.since,
            dedupe_key=f"coverage_lapse:{lapse.order.public_id}:{lapse.since.isoformat()}",
            unit=unit,
            person=person,
            subject=order_subject(lapse.order),
            now=now,
            audit_as=SWEEP_LABEL,
            detail={"order": str(lapse.order.public_id), "since": lapse.since.isoformat()},
        )


def sweep_coverage_lapses(now: datetime | None = None) -> list[Alert]:
    """Alert the shift lead (or, with none assigned, the unit's nurses) about each coverage
    lapse. The dedupe key names the order, the moment the lapse began and the recipient, so a
    second sweep (or a second worker) never alerts twice for the same lapse. Each lapse is
    guarded (core.sweeps): one that raises is logged and audited "failed" and tried again on
    the next loop, and the others are still alerted."""
    now = now or clock.now()
    result = sweeps.SweepResult("coverage lapses")
    created: list[Alert] = []
    for lapse in sweeps.within_budget(result, coverage_lapses(now)):
        written = sweeps.guarded(
            result,
            lambda lapse=lapse: _alert_lapse(lapse, now),  # type: ignore[misc]
            label=SWEEP_LABEL,
            object_type="rounds.observationorder",
            object_id=str(lapse.order.public_id),
            person_id=lapse.order.person.public_id,
        )
        created.extend(written or [])
    return created


def free_for_rounds(unit: Unit, now: datetime) -> list[Staff]:
    """Staff assigned on the unit now who are not on a 1:1 or 2:1: a staff member with a person
    on continuous observation cannot also round."""
    assigned = {row.staff_id: row.staff for row in assignments_active_at(unit, now)}
    covering = set(
        Coverage.objects.filter(
            staff_id__in=assigned, ended_at__isnull=True, started_at__lte=now
        ).values_list("staff_id", flat=True)
    )
    return sorted(
        (staff for pk, staff in assigned.items() if pk not in covering),
        key=lambda s: (s.display_name, s.pk),
    )


__all__ = [
    "Lapse",
    "coverage_lapses",
    "end_coverage",
    "follow_order_change",
    "free_for_rounds",
    "relieve",
    "resolve_lapse_alerts",
    "start_coverage",
    "sweep_coverage_lapses",
]
