"""Every write to observation orders and checks (DESIGN.md rules 2, 3 and 7)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.people.models import Episode, PersonServed, TrustedDevice
from pillars.people.selectors import person_category
from pillars.rounds.choices import Activity, Location, Precaution, SafetyStatus
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder

# A check entered more than this long after it was observed is a late entry: it needs a reason
# and is flagged wherever it is shown (back-filled records are what regulators find).
LATE_ENTRY_AFTER = timedelta(minutes=10)
# Device clocks drift; an observation this far ahead of the server is refused as impossible.
CLOCK_SKEW = timedelta(minutes=2)

CHECK_FIELDS = ("observed_at", "location", "activity", "safety_status", "note")


def _clean_precautions(values: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(values))
    unknown = [v for v in chosen if v not in Precaution.values]
    if unknown:
        raise invalid("precautions", f"Unknown precautions: {', '.join(unknown)}")
    return chosen


def order_observation(
    person: PersonServed,
    *,
    actor: Any,
    level: ObservationLevel,
    reason: str,
    precautions: Iterable[str] = (),
    instructions: str = "",
    started_at: datetime | None = None,
) -> ObservationOrder:
    """Order (or change) a person's observation level. A change ends the current order at the
    moment the new one starts, so the history is a chain with no gap and no overlap."""
    acting = policy.require(actor, "rounds.order", person)
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Say why this level is ordered.")
    if not level.is_current:
        raise invalid("level", "That version of the level has been replaced; choose again.")
    chosen = _clean_precautions(precautions)
    now = clock.now()
    moment = started_at or now
    if moment > now + CLOCK_SKEW:
        raise invalid("started_at", "An order cannot start in the future.")
    try:
        with transaction.atomic():
            episode = (
                Episode.objects.select_for_update()
                .filter(person=person, discharged_at__isnull=True)
                .first()
            )
            if episode is None:
                raise invalid(None, f"{person} is not admitted.")
            current = (
                ObservationOrder.objects.select_for_update()
                .filter(person=person, ended_at__isnull=True)
                .first()
            )
            if current is not None:
                if moment < current.started_at:
                    raise invalid("started_at", "The change is before the current order began.")
                _end(current, acting.staff_pk, moment, f"Changed: {reason}")
            order = ObservationOrder(
                person=person,
                episode=episode,
                level=level,
                precautions=chosen,
                instructions=instructions.strip(),
                reason=reason,
                ordered_by_id=acting.staff_pk,
                started_at=moment,
                recorded_at=now,
                replaces=current,
            )
            order.due_at = order.next_due_at()
            order.save()
            audit.record(
                actor=actor,
                action=Action.CREATE,
                target=order,
                person_id=person.public_id,
                category=person_category(person),
                purpose=Purpose.TREATMENT,
                detail={
                    "level": f"{level.code} v{level.version}",
                    "precautions": chosen,
                    "reason": reason,
                    "started_at": moment.isoformat(),
                    "replaces": str(current.public_id) if current else None,
                },
            )
    except IntegrityError:
        raise Conflict("Someone changed this person's level a moment ago; reload.") from None
    return order


def _end(order: ObservationOrder, staff_pk: int, moment: datetime, reason: str) -> None:
    order.ended_at = moment
    order.ended_by_id = staff_pk
    order.end_reason = reason
    order.due_at = None
    order.save(update_fields=["ended_at", "ended_by", "end_reason", "due_at"])


def end_observation(order: ObservationOrder, *, actor: Any, reason: str) -> ObservationOrder:
    """End an order without a successor (for example at discharge, or observation no longer
    needed)."""
    acting = policy.require(actor, "rounds.order", order)
    if not reason.strip():
        raise invalid("reason", "Say why observation ends.")
    with transaction.atomic():
        order = ObservationOrder.objects.select_for_update().get(pk=order.pk)
        if order.ended_at is not None:
            raise invalid(None, "This order has already ended.")
        _end(order, acting.staff_pk, clock.now(), reason.strip())
        audit.record(
            actor=actor,
            action=Action.UPDATE,
            target=order,
            person_id=order.person.public_id,
            category=person_category(order.person),
            purpose=Purpose.TREATMENT,
            detail={"event": "end", "reason": reason.strip()},
        )
    return order


def _same_check(existing: Check, values: dict[str, Any]) -> Check:
    """A replay of the same client id: harmless when it says the same thing, a conflict when
    it does not (two different observations cannot share an id)."""
    if any(getattr(existing, name) != values[name] for name in CHECK_FIELDS):
        raise Conflict("This check was already recorded with different details.")
    return existing


def record_check(
    order: ObservationOrder,
    *,
    actor: Any,
    observed_at: datetime,
    location: str,
    activity: str,
    safety_status: str,
    client_id: UUID,
    note: str = "",
    late_reason: str = "",
    device: TrustedDevice | None = None,
) -> Check:
    """Record one observation check; a replayed ``client_id`` returns the first check.

    ``observed_at`` comes from the device, ``recorded_at`` from the server. An entry made more
    than LATE_ENTRY_AFTER after the observation needs a reason and is flagged as late.
    """
    acting = policy.require(actor, "rounds.record_check", order)
    values = {
        "observed_at": observed_at,
        "location": location,
        "activity": activity,
        "safety_status": safety_status,
        "note": note.strip(),
    }
    if (existing := Check.objects.filter(client_id=client_id).first()) is not None:
        if existing.order_id != order.pk:
            raise Conflict("This check id belongs to another person's observation.")
        return _same_check(existing, values)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if observed_at.tzinfo is None:
        errors["observed_at"] = ["The time must include a time zone."]
    elif observed_at > now + CLOCK_SKEW:
        errors["observed_at"] = ["A check cannot be observed in the future."]
    elif observed_at < order.started_at:
        errors["observed_at"] = ["The check is before this observation order began."]
    elif order.ended_at is not None and observed_at > order.ended_at:
        errors["observed_at"] = ["This observation order had ended by then."]
    if location not in Location.values:
        errors["location"] = ["Choose where the person was."]
    if activity not in Activity.values:
        errors["activity"] = ["Choose what the person was doing."]
    if safety_status not in SafetyStatus.values:
        errors["safety_status"] = ["Choose safe, concern or emergency."]
    is_late = "observed_at" not in errors and now - observed_at > LATE_ENTRY_AFTER
    if is_late and not late_reason.strip():
        minutes = int(LATE_ENTRY_AFTER.total_seconds() // 60)
        errors["late_reason"] = [
            f"This check is entered more than {minutes} minutes after it was observed: "
            "say why. It will be shown as a late entry."
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = ObservationOrder.objects.select_for_update().get(pk=order.pk)
            check = Check.objects.create(
                order=locked,
                observed_by_id=acting.staff_pk,
                recorded_at=now,
                client_id=client_id,
                device=device,
                is_late_entry=is_late,
                late_reason=late_reason.strip() if is_late else "",
                **values,
            )
            # A late entry for an earlier moment never moves the clock backwards.
            if locked.last_observed_at is None or observed_at > locked.last_observed_at:
                locked.last_observed_at = observed_at
                locked.due_at = None if locked.ended_at else locked.next_due_at()
                locked.save(update_fields=["last_observed_at", "due_at"])
            audit.record(
                actor=actor,
                action=Action.CREATE,
                target=check,
                person_id=locked.person.public_id,
                category=person_category(locked.person),
                purpose=Purpose.TREATMENT,
                detail={
                    "order": str(locked.public_id),
                    "observed_at": observed_at.isoformat(),
                    "location": location,
                    "activity": activity,
                    "safety_status": safety_status,
                    "late_entry": is_late,
                },
            )
    except IntegrityError:
        # The same client id arrived twice at once: the other request won; answer as a replay.
        existing = Check.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _same_check(existing, values)
    return check


LEVEL_FIELDS = (
    "name",
    "interval_minutes",
    "grace_factor",
    "due_window_minutes",
    "staff_ratio",
    "is_line_of_sight",
    "sort_order",
)


def change_level(level: ObservationLevel, *, actor: Any, **changes: Any) -> ObservationLevel:
    """Change an observation level by making its next version: orders made under the old
    version (and their checks) keep the rules they were made under; new orders use the new."""
    policy.require(actor, "rounds.manage_levels")
    unknown = set(changes) - set(LEVEL_FIELDS)
    if unknown:
        raise invalid(None, f"Unknown fields: {', '.join(sorted(unknown))}")
    before = audit.snapshot(level, list(LEVEL_FIELDS))
    values = {**{name: getattr(level, name) for name in LEVEL_FIELDS}, **changes}
    errors: dict[str, list[str]] = {}
    if not str(values["name"]).strip():
        errors["name"] = ["This field is required."]
    if (
        not isinstance(values["interval_minutes"], int)
        or not 1 <= values["interval_minutes"] <= 240
    ):
        errors["interval_minutes"] = ["An interval is 1 to 240 minutes."]
    if not 1 <= float(values["grace_factor"]) <= 3:
        errors["grace_factor"] = ["The grace is 1 to 3 intervals (1.5 is the common rule)."]
    if values["staff_ratio"] not in (0, 1, 2):
        errors["staff_ratio"] = ["Staff ratio is 0, 1 (1:1) or 2 (2:1)."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = ObservationLevel.objects.select_for_update().get(pk=level.pk)
        if not current.is_current:
            raise Conflict("This level was changed a moment ago; reload and try again.")
        ObservationLevel.objects.filter(pk=current.pk).update(is_current=False)
        new = ObservationLevel.objects.create(
            code=current.code,
            version=current.version + 1,
            is_current=True,
            created_at=clock.now(),
            **values,
        )
        audit.record(
            actor=actor,
            action=Action.UPDATE,
            target=new,
            purpose=Purpose.ADMINISTRATION,
            detail={
                "code": new.code,
                "version": new.version,
                **audit.changes(before, audit.snapshot(new, list(LEVEL_FIELDS))),
            },
        )
    return new
