"""Monitoring exceptions: a stretch in which a person cannot be observed (off the unit with
whom and where, refused, in a session, on pass). Starting one pauses the order's clock (no check
is due, nothing turns late or missed); ending it resumes the clock with a check due at once,
since nobody on the unit has seen the person meanwhile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.core.writes import atomic_or_conflict, lock_once
from pillars.people.selectors import record_person_event
from pillars.rounds.choices import ExceptionKind
from pillars.rounds.models import MonitoringException, ObservationOrder
from pillars.rounds.services import escalation
from pillars.rounds.services.orders import CLOCK_SKEW

# Why the alerts of an order whose monitoring exception ends are closed.
EXCEPTION_ENDED = "The monitoring exception ended; the observation clock starts again."


def _clean_start(
    kind: str, reason: str, with_whom: str, where: str, moment: datetime, now: datetime
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in ExceptionKind.values:
        errors["kind"] = ["Choose why the person cannot be observed."]
    if not reason:
        errors["reason"] = ["Say why the person cannot be observed."]
    if kind == ExceptionKind.OFF_UNIT:
        if not with_whom:
            errors["with_whom"] = ["Say who the person is with while off the unit."]
        if not where:
            errors["where"] = ["Say where the person is going."]
    if moment.tzinfo is None:
        errors["started_at"] = ["The time must include a time zone."]
    elif moment > now + CLOCK_SKEW:
        errors["started_at"] = ["An exception cannot start in the future."]
    return errors


def start_exception(
    order: ObservationOrder,
    *,
    actor: Any,
    kind: str,
    reason: str,
    with_whom: str = "",
    where: str = "",
    started_at: datetime | None = None,
) -> MonitoringException:
    """Pause an order's clock while the person cannot be observed. One open exception per
    order; off the unit needs with whom and where."""
    acting = policy.require(actor, "rounds.pause", order)
    reason, with_whom, where = reason.strip(), with_whom.strip(), where.strip()
    now = clock.now()
    moment = started_at or now
    errors = _clean_start(kind, reason, with_whom, where, moment, now)
    if errors:
        raise ValidationError(errors)
    # A device clock a little ahead of the server must not leave the exception ending before
    # it started.
    moment = min(moment, now)
    with atomic_or_conflict("Someone paused this observation a moment ago; reload."):
        locked = (
            ObservationOrder.objects.select_for_update().select_related("person").get(pk=order.pk)
        )
        if locked.ended_at is not None:
            raise invalid(None, "This observation order has ended.")
        if locked.paused_at is not None:
            raise invalid(None, "Observation is already paused; end that exception first.")
        if moment < locked.started_at:
            raise invalid("started_at", "The exception is before this order began.")
        if locked.last_observed_at is not None and moment < locked.last_observed_at:
            raise invalid("started_at", "The person was checked after that time.")
        if locked.resumed_at is not None and moment < locked.resumed_at:
            raise invalid("started_at", "The last exception had not ended by then.")
        # A pause dated back over a check that was already missed when it is entered would turn
        # the miss into paused time on the board and in the handoff: back-filled records must
        # stay visible (DESIGN.md), so the pause starts no earlier than the miss.
        missed = locked.missed_at()
        if moment < missed < now:
            raise invalid(
                "started_at",
                "A check was already missed at that time; the pause can start no earlier "
                "than the missed check.",
            )
        exception = MonitoringException.objects.create(
            order=locked,
            kind=kind,
            reason=reason,
            with_whom=with_whom,
            where=where,
            started_at=moment,
            started_by_id=acting.staff_pk,
            recorded_at=now,
        )
        locked.paused_at = moment
        locked.due_at = locked.clock_due_at()
        locked.save(update_fields=["paused_at", "due_at"])
        record_person_event(
            locked.person,
            actor=actor,
            action=Action.CREATE,
            target=exception,
            detail={
                "order": str(locked.public_id),
                "kind": kind,
                "reason": reason,
                "with_whom": with_whom,
                "where": where,
                "started_at": moment.isoformat(),
            },
        )
    return exception


def end_exception(
    exception: MonitoringException, *, actor: Any, note: str = ""
) -> MonitoringException:
    """The person is back (or accepts checks again): close the exception and resume the
    order's clock with a check due now."""
    acting = policy.require(actor, "rounds.pause", exception)
    note = note.strip()
    if len(note) > 300:
        raise invalid("note", "Keep the note under 300 characters.")
    now = clock.now()
    with transaction.atomic():
        locked = lock_once(exception, "ended_at", "This exception has already ended.")
        order = (
            ObservationOrder.objects.select_for_update()
            .select_related("person", "level")
            .get(pk=locked.order_id)
        )
        locked.ended_at = max(now, locked.started_at)
        locked.ended_by_id = acting.staff_pk
        locked.end_note = note
        locked.save(update_fields=["ended_at", "ended_by", "end_note"])
        order.paused_at = None
        order.resumed_at = locked.ended_at
        order.due_at = order.clock_due_at()
        # The clock starts again with a check due now: the alerts of the step it had reached
        # close with it (advance_clock relies on an order at step 0 having none open).
        if order.escalation_step > 0:
            escalation.resolve_check_alerts([order], locked.ended_at, reason=EXCEPTION_ENDED)
        order.escalation_step = 0
        order.save(update_fields=["paused_at", "resumed_at", "due_at", "escalation_step"])
        record_person_event(
            order.person,
            actor=actor,
            action=Action.UPDATE,
            target=locked,
            detail={
                "event": "end",
                "order": str(order.public_id),
                "ended_at": locked.ended_at.isoformat(),
                "note": note,
            },
        )
    return locked
