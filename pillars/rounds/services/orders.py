"""Every write to observation orders and checks (DESIGN.md rules 2, 3 and 7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.core.versioning import change_rule, refuse_unknown
from pillars.core.writes import atomic_or_conflict, lock_once, replayed
from pillars.people import labels
from pillars.people.models import Bed, Episode, PersonServed, Placement, Room, TrustedDevice
from pillars.people.policies import scope_read_with
from pillars.people.selectors import person_zone, record_person_event
from pillars.rounds import presence
from pillars.rounds.choices import Activity, Location, Precaution, Proof, SafetyStatus
from pillars.rounds.models import Check, MonitoringException, ObservationLevel, ObservationOrder
from pillars.rounds.services import escalation
from pillars.rounds.services.levels import LEVEL_FIELDS, clean_level_values

# A check entered more than this long after it was observed is a late entry: it needs a reason
# and is flagged wherever it is shown (back-filled records are what regulators find).
LATE_ENTRY_AFTER = timedelta(minutes=10)
# Device clocks drift; an observation this far ahead of the server is refused as impossible.
CLOCK_SKEW = timedelta(minutes=2)

CHECK_FIELDS = ("observed_at", "location", "activity", "safety_status", "note")
# Choice values, computed once (TextChoices.values builds a new list on every access, and a
# batch sync validates a thousand checks).
LOCATIONS = frozenset(Location.values)
ACTIVITIES = frozenset(Activity.values)
SAFETY_STATUSES = frozenset(SafetyStatus.values)
PROOFS = frozenset(Proof.values)


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
    with atomic_or_conflict("Someone changed this person's level a moment ago; reload."):
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
        away = None
        if current is not None:
            if moment < current.started_at:
                raise invalid("started_at", "The change is before the current order began.")
            _refuse_change_before_last_record(current, moment)
            away = _end(
                current,
                actor=actor,
                staff_pk=acting.staff_pk,
                moment=moment,
                reason=f"Changed: {reason}",
                closing=f"The order changed to {level.name}; its checks are due on the new order.",
                away_note=f"The order changed to {level.name}; the exception goes on under it.",
            )
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
            # The person is still away: the new order's clock is paused from its start.
            paused_at=moment if away is not None else None,
        )
        order.due_at = order.clock_due_at()
        order.save()
        if away is not None:
            _carry_exception(away, order, actor=actor, staff_pk=acting.staff_pk, now=now)
        if current is not None:
            from pillars.rounds.services.coverage import follow_order_change

            follow_order_change(current, order, moment, actor=actor, acting_pk=acting.staff_pk)
        record_person_event(
            person,
            actor=actor,
            action=Action.CREATE,
            target=order,
            detail={
                "level": f"{level.code} v{level.version}",
                "precautions": chosen,
                "reason": reason,
                "started_at": moment.isoformat(),
                "replaces": str(current.public_id) if current else None,
            },
        )
    return order


def _refuse_change_before_last_record(current: ObservationOrder, moment: datetime) -> None:
    """A change dated back before a check or a pause of the (locked) current order would leave
    that record after its order ended, and the new order without it: refused, naming the time
    from which the change can be dated."""
    latest = max(
        (m for m in (current.last_observed_at, current.paused_at, current.resumed_at) if m),
        default=None,
    )
    if latest is not None and moment < latest:
        zone = person_zone(current.person)
        shown = f"{clock.local(latest, zone):%H:%M}{fold_mark(latest, zone)}"
        raise invalid(
            "started_at",
            f"The current order has a check or a pause recorded at {shown}, after that time: "
            "date the change no earlier.",
        )


def _end(
    order: ObservationOrder,
    *,
    actor: Any,
    staff_pk: int,
    moment: datetime,
    reason: str,
    closing: str,
    away_note: str,
) -> MonitoringException | None:
    """End the (locked) order at ``moment``. Its clock stops, so the "check due" and "overdue"
    alerts of the step it had reached lose their cause and close, saying why (``closing``);
    a missed check stays on the handoff and the integrity report, which count the checks. A
    monitoring exception still open ends with it (``away_note``, audited), and is returned:
    a change of level carries it to the new order."""
    order.ended_at = moment
    order.ended_by_id = staff_pk
    order.end_reason = reason
    order.due_at = None
    order.save(update_fields=["ended_at", "ended_by", "end_reason", "due_at"])
    if order.escalation_step > 0:
        escalation.resolve_check_alerts([order], clock.now(), reason=closing)
    if order.paused_at is None:
        return None
    away = (
        MonitoringException.objects.select_for_update()
        .filter(order=order, ended_at__isnull=True)
        .first()
    )
    if away is None:
        return None
    away.ended_at = max(moment, away.started_at)
    away.ended_by_id = staff_pk
    away.end_note = away_note[:300]
    away.save(update_fields=["ended_at", "ended_by", "end_note"])
    record_person_event(
        order.person,
        actor=actor,
        action=Action.UPDATE,
        target=away,
        detail={
            "event": "end",
            "order": str(order.public_id),
            "ended_at": away.ended_at.isoformat(),
            "note": away.end_note,
        },
    )
    return away


def _carry_exception(
    away: MonitoringException,
    order: ObservationOrder,
    *,
    actor: Any,
    staff_pk: int,
    now: datetime,
) -> MonitoringException:
    """The exception the replaced order ended with, open again on the new order from its start
    (same kind, reason, company and place): the person is still away."""
    carried = MonitoringException.objects.create(
        order=order,
        kind=away.kind,
        reason=away.reason,
        with_whom=away.with_whom,
        where=away.where,
        started_at=order.started_at,
        started_by_id=staff_pk,
        recorded_at=now,
    )
    record_person_event(
        order.person,
        actor=actor,
        action=Action.CREATE,
        target=carried,
        detail={
            "order": str(order.public_id),
            "kind": carried.kind,
            "reason": carried.reason,
            "with_whom": carried.with_whom,
            "where": carried.where,
            "started_at": carried.started_at.isoformat(),
            "carried_from": str(away.public_id),
        },
    )
    return carried


def end_observation(order: ObservationOrder, *, actor: Any, reason: str) -> ObservationOrder:
    """End an order without a successor (for example at discharge, or observation no longer
    needed)."""
    acting = policy.require(actor, "rounds.order", order)
    if not reason.strip():
        raise invalid("reason", "Say why observation ends.")
    with transaction.atomic():
        order = lock_once(order, "ended_at", "This order has already ended.")
        moment = clock.now()
        _end(
            order,
            actor=actor,
            staff_pk=acting.staff_pk,
            moment=moment,
            reason=reason.strip(),
            closing="The observation order ended.",
            away_note="The observation order ended.",
        )
        from pillars.rounds.services.coverage import follow_order_change

        follow_order_change(order, None, moment, actor=actor, acting_pk=acting.staff_pk)
        record_person_event(
            order.person,
            actor=actor,
            action=Action.UPDATE,
            target=order,
            detail={"event": "end", "reason": reason.strip()},
        )
    return order


def _replayed(client_id: UUID, order: ObservationOrder, values: dict[str, Any]) -> Check | None:
    """The check already stored under this client id, when there is one: the replay's answer
    (a conflict when it was another order's, or said something else)."""
    existing = replayed(Check, client_id, {"order_id": order.pk}, OTHER_ORDER)
    return None if existing is None else _same_check(existing, values)


def _same_check(existing: Check, values: dict[str, Any]) -> Check:
    """A replay of the same client id: harmless when it says the same thing, a conflict when
    it does not (two different observations cannot share an id)."""
    if not same_details(existing, values):
        raise Conflict(REPLAY_CONFLICT)
    return existing


REPLAY_CONFLICT = "This check was already recorded with different details."
OTHER_ORDER = "This check id belongs to another person's observation."


def same_details(existing: Check, values: dict[str, Any]) -> bool:
    """Whether a stored check says what ``values`` (observed_at, location, ...) say."""
    return all(getattr(existing, name) == values[name] for name in CHECK_FIELDS)


def check_details(
    *, observed_at: datetime, location: str, activity: str, safety_status: str, note: str = ""
) -> dict[str, Any]:
    """The details a replay is compared on (CHECK_FIELDS)."""
    return {
        "observed_at": observed_at,
        "location": location,
        "activity": activity,
        "safety_status": safety_status,
        "note": note.strip(),
    }


def placement_of(person_id: int) -> tuple[Room | None, Bed | None]:
    """The room and bed a person is placed in now (for checking a scanned code)."""
    placement = (
        Placement.objects.current()
        .filter(episode__person_id=person_id)
        .select_related("bed__room")
        .first()
    )
    bed = placement.bed if placement is not None else None
    return (bed.room if bed is not None else None), bed


BEFORE_START = "The check is before this observation order began."
AFTER_END = (
    "This observation order had ended by then; a check from the moment a level changed on "
    "belongs to the new order."
)
PAUSED_THEN = (
    "Observation was paused then (a monitoring exception: off the unit, refused, ...): "
    "nobody could see the person. End the exception when they are back, then record the check."
)
SAME_MOMENT = "A check of this person at this moment is already recorded."


def order_refuses(order: ObservationOrder, observed_at: datetime) -> str:
    """Why the order, as read, cannot hold a check observed at ``observed_at`` ("" when it
    can). An order covers its start up to, not including, its end: the moment a level changes
    belongs to the next order. While a monitoring exception is open nobody sees the person,
    so no check is dated after it began (one at the very moment it began is the last before
    it, as ``start_exception`` allows)."""
    if observed_at < order.started_at:
        return BEFORE_START
    if order.ended_at is not None and observed_at >= order.ended_at:
        return AFTER_END
    if order.paused_at is not None and observed_at > order.paused_at:
        return PAUSED_THEN
    return ""


def clashes(
    items: Sequence[tuple[ObservationOrder, datetime, UUID]],
) -> list[dict[str, list[str]]]:
    """For each new check (its order, read locked in the caller's transaction, its observed
    moment and client id): what the stored record says against it, as field errors (empty when
    nothing does). The order's state as locked (ended or paused since the request read it), a
    monitoring exception that had paused the clock at that moment (a late entry dated into a
    pause that has ended), and a check of the order already stored for the same moment under
    another client id, or earlier in ``items`` (one check per moment: the same client id is a
    replay, answered elsewhere). At most two queries for any number of items, and none for a
    check newer than the order's last one and its last resume (a tap on the floor): an ended
    pause lies before ``resumed_at``, a stored check at or before ``last_observed_at``."""
    in_pauses = [
        (order, moment)
        for order, moment, _ in items
        if order.resumed_at is not None and moment < order.resumed_at
    ]
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    if in_pauses:
        for order_id, started_at, ended_at in MonitoringException.objects.filter(
            order_id__in={order.pk for order, _ in in_pauses},
            started_at__lt=max(moment for _, moment in in_pauses),
        ).values_list("order_id", "started_at", "ended_at"):
            pauses[order_id].append((started_at, ended_at))
    back = [
        (order, moment)
        for order, moment, _ in items
        if order.last_observed_at is not None and moment <= order.last_observed_at
    ]
    taken: dict[tuple[int, datetime], set[UUID]] = defaultdict(set)
    if back:
        for order_id, observed_at, client_id in Check.objects.filter(
            order_id__in={order.pk for order, _ in back},
            observed_at__in={moment for _, moment in back},
        ).values_list("order_id", "observed_at", "client_id"):
            taken[(order_id, observed_at)].add(client_id)
    answers: list[dict[str, list[str]]] = []
    for order, moment, client_id in items:
        message = order_refuses(order, moment)
        if not message and any(
            start < moment and (end is None or moment < end) for start, end in pauses[order.pk]
        ):
            message = PAUSED_THEN
        held = taken[(order.pk, moment)]
        if not message and held - {client_id}:
            message = SAME_MOMENT
        if not message:
            held.add(client_id)
        answers.append({"observed_at": [message]} if message else {})
    return answers


def validate_check(
    order: ObservationOrder,
    *,
    now: datetime,
    observed_at: datetime,
    location: str,
    activity: str,
    safety_status: str,
    note: str = "",
    late_reason: str = "",
    proof: str = Proof.TAP,
    no_code_reason: str = "",
    presence_code: str = "",
    placed: tuple[Room | None, Bed | None] = (None, None),
) -> dict[str, Any]:
    """Every rule a new check must meet, shared by ``record_check`` and the batch sync.

    Returns the fields of the Check to store; raises ValidationError naming every bad field.

    Proof of presence (``ObservationLevel.requires_presence_proof``): a check with proof "qr"
    must carry the code scanned at the door, and the code must be the person's own bed or the
    room they are placed in (``placed``). At a level that wants proof, a plain tap is refused
    unless ``no_code_reason`` says why no code was scanned (code damaged, person not in their
    room): safety comes first, so such a check is kept, and the reason is stored and shown.
    """
    errors: dict[str, list[str]] = {}
    if observed_at.tzinfo is None:
        errors["observed_at"] = ["The time must include a time zone."]
    elif observed_at > now + CLOCK_SKEW:
        errors["observed_at"] = ["A check cannot be observed in the future."]
    elif message := order_refuses(order, observed_at):
        errors["observed_at"] = [message]
    if location not in LOCATIONS:
        errors["location"] = ["Choose where the person was."]
    if activity not in ACTIVITIES:
        errors["activity"] = ["Choose what the person was doing."]
    if safety_status not in SAFETY_STATUSES:
        errors["safety_status"] = ["Choose safe, concern or emergency."]
    no_code_reason = no_code_reason.strip()
    if proof not in PROOFS:
        errors["proof"] = ["Unknown proof of presence."]
    elif proof == Proof.QR:
        if not presence.proves(presence_code, *placed):
            errors["proof"] = ["The scanned code is not this person's room or bed."]
        no_code_reason = ""
    elif order.level.requires_presence_proof:
        if not no_code_reason:
            errors["no_code_reason"] = [
                "This observation level needs the room code scanned. If it cannot be scanned "
                "(code damaged, person not in their room), say why."
            ]
    else:
        no_code_reason = ""
    is_late = "observed_at" not in errors and now - observed_at > LATE_ENTRY_AFTER
    if is_late and not late_reason.strip():
        minutes = int(LATE_ENTRY_AFTER.total_seconds() // 60)
        errors["late_reason"] = [
            f"This check is entered more than {minutes} minutes after it was observed: "
            "say why. It will be shown as a late entry."
        ]
    if errors:
        raise ValidationError(errors)
    return {
        **check_details(
            observed_at=observed_at,
            location=location,
            activity=activity,
            safety_status=safety_status,
            note=note,
        ),
        "proof": proof,
        "no_code_reason": no_code_reason,
        "is_late_entry": is_late,
        "late_reason": late_reason.strip() if is_late else "",
    }


def new_check(
    order: ObservationOrder,
    values: dict[str, Any],
    *,
    staff_pk: int,
    now: datetime,
    client_id: UUID,
    device: TrustedDevice | None,
) -> Check:
    """The check ``validate_check``'s ``values`` describe, by the acting staff member and
    recorded ``now``, not yet saved (the same for one check and a batch)."""
    return Check(
        order=order,
        observed_by_id=staff_pk,
        recorded_at=now,
        client_id=client_id,
        device=device,
        **values,
    )


def check_audit_detail(order: ObservationOrder, check: Check) -> dict[str, Any]:
    """What the audit event of a new check says (the same for one check and a batch)."""
    detail = {
        "order": str(order.public_id),
        "observed_at": check.observed_at.isoformat(),
        "location": check.location,
        "activity": check.activity,
        "safety_status": check.safety_status,
        "late_entry": check.is_late_entry,
    }
    if check.proof != Proof.TAP or check.no_code_reason:
        detail["proof"] = check.proof
    if check.no_code_reason:
        detail["no_code_reason"] = check.no_code_reason
    return detail


def advance_clock(order: ObservationOrder, observed_at: datetime, *, recorded: int = 1) -> bool:
    """Count ``recorded`` new checks on a (locked) order and move its clock to a newer
    observation, in one UPDATE; a late entry for an earlier moment never moves the clock
    backwards. Returns whether the clock moved an escalated order back on time: then its open
    "check due" and "overdue" alerts are to be closed (``escalation.resolve_check_alerts``).
    An order at step 0 has none: only the sweep raises them, moving the step past 0 in the same
    transaction, and whatever moves it back to 0 closes them."""
    order.check_count += recorded
    fields = ["check_count"]
    escalated = order.escalation_step > 0
    moved = order.last_observed_at is None or observed_at > order.last_observed_at
    if moved:
        order.last_observed_at = observed_at
        order.due_at = order.clock_due_at()
        order.escalation_step = 0
        order.escalation_retry_at = None
        order.escalation_failures = 0
        fields += [
            "last_observed_at",
            "due_at",
            "escalation_step",
            "escalation_retry_at",
            "escalation_failures",
        ]
    order.save(update_fields=fields)
    return moved and escalated


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
    proof: str = Proof.TAP,
    no_code_reason: str = "",
    presence_code: str = "",
    locked: bool = False,
    placements: list[Placement] | None = None,
) -> Check:
    """Record one observation check; a replayed ``client_id`` returns the first check.

    ``observed_at`` comes from the device, ``recorded_at`` from the server. An entry made more
    than LATE_ENTRY_AFTER after the observation needs a reason and is flagged as late. The
    rules (and proof of presence) are in ``validate_check``. A replay is found when the new
    row cannot be stored (the client id is unique) or the values no longer pass (a late
    replay), so a first send pays no query for it.

    ``locked``: the caller read the order in the transaction this runs in, its row locked
    (``selectors.order_to_record(lock=True)``), and then ``placements`` (the person's, with
    their units: ``labels.placements_of``) in the same transaction, or None to read them here.
    """
    # The order may come with the person's "placed on your units" read (order_to_record).
    with scope_read_with(order, order.person, policy.actor_for(actor)):
        acting = policy.require(actor, "rounds.record_check", order)
    details = check_details(
        observed_at=observed_at,
        location=location,
        activity=activity,
        safety_status=safety_status,
        note=note,
    )
    now = clock.now()
    try:
        values = validate_check(
            order,
            now=now,
            observed_at=observed_at,
            location=location,
            activity=activity,
            safety_status=safety_status,
            note=note,
            late_reason=late_reason,
            proof=proof,
            no_code_reason=no_code_reason,
            presence_code=presence_code,
            placed=placement_of(order.person_id) if proof == Proof.QR else (None, None),
        )
    except ValidationError:
        # A replay stays the first answer, however late it comes.
        if (existing := _replayed(client_id, order, details)) is not None:
            return existing
        raise
    try:
        with transaction.atomic():
            # The person and level come along (the audit event and the clock need them); only
            # the order row is locked.
            current = (
                order
                if locked
                else ObservationOrder.objects.select_for_update(of=("self",))
                .select_related("person", "level")
                .get(pk=order.pk)
            )
            # One read of the person's placements labels the check and names the audit
            # category (Part 2 when ever placed in a substance-use program).
            if not (locked and placements is not None):
                placements = labels.placements_of(current.person_id)
            check = new_check(
                current,
                values,
                staff_pk=acting.staff_pk,
                now=now,
                client_id=client_id,
                device=device,
            )
            # The order as locked: it may have ended or paused since the request read it, and
            # the moment may fall in a pause or be another check's already.
            if errors := clashes([(current, check.observed_at, client_id)])[0]:
                raise ValidationError(errors)
            labels.stamp_from(check, placements)
            check.save(force_insert=True)
            if advance_clock(current, check.observed_at):
                escalation.resolve_check_alerts([current], now)
            escalation.alert_checks_not_safe([check], {current.pk: current})
            audit.record(
                actor,
                Action.CREATE,
                check,
                person_id=current.person.public_id,
                category=Category.SUBSTANCE_USE
                if labels.is_part2_person(placements)
                else Category.GENERAL,
                purpose=Purpose.TREATMENT,
                detail=check_audit_detail(current, check),
            )
    except (IntegrityError, ValidationError):
        # The client id is stored already (a replay, or the same check sent twice at once and
        # the other request won), even when the order has changed since: answer as the replay.
        if (existing := _replayed(client_id, order, details)) is None:
            raise
        return existing
    return check


def change_level(level: ObservationLevel, *, actor: Any, **changes: Any) -> ObservationLevel:
    """Change an observation level by making its next version: orders made under the old
    version (and their checks) keep the rules they were made under; new orders use the new.
    The values are checked as when a level is added (``levels.clean_level_values``)."""
    policy.require(actor, "rounds.manage_levels")
    refuse_unknown(changes, LEVEL_FIELDS)
    values = clean_level_values(
        {**{name: getattr(level, name) for name in LEVEL_FIELDS}, **changes}
    )
    return change_rule(
        level,
        actor=actor,
        fields=LEVEL_FIELDS,
        values=values,
        stale="This level was changed a moment ago; reload and try again.",
    )
