"""A tablet's queued checks, synced in one batch when the network returns (DESIGN.md rule 7).

``record_checks`` keeps every rule of ``record_check`` (the same validator, the same replay
rule, forward-only clocks, one audit event per check) but pays for them once per batch instead
of once per check: one scope query for all orders, one query for all client ids, one bulk
insert, one update per order and one append of all audit events to the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.core import clock, policy
from pillars.core.bulk import insert_objects
from pillars.core.errors import ValidationError, invalid
from pillars.people.labels import is_part2_person, placements_by_person, stamp_many
from pillars.people.models import Bed, Placement, Room, TrustedDevice
from pillars.rounds.choices import Proof
from pillars.rounds.models import Check, ObservationOrder
from pillars.rounds.services import escalation
from pillars.rounds.services.orders import (
    OTHER_ORDER,
    REPLAY_CONFLICT,
    advance_clock,
    check_audit_detail,
    check_details,
    clashes,
    new_check,
    same_details,
    validate_check,
)

ACTION = "rounds.record_check"
MAX_BATCH = 1000
NOT_FOUND = "Not found."
FORBIDDEN = "You do not have permission to do that."

CREATED, REPLAYED, REFUSED = "created", "replayed", "refused"
# The fields of a queued check that say which check it is rather than what was seen.
NOT_CHECKED = ("order", "client_id")


@dataclass(frozen=True)
class CheckItem:
    """One queued check as the device sent it."""

    order: UUID | str
    client_id: UUID | str
    observed_at: datetime
    location: str
    activity: str
    safety_status: str
    note: str = ""
    late_reason: str = ""
    proof: str = Proof.TAP
    no_code_reason: str = ""
    presence_code: str = ""

    def check_fields(self) -> dict[str, Any]:
        """What ``validate_check`` checks: every field but the order and the client id."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NOT_CHECKED}

    def details(self) -> dict[str, Any]:
        """The details a replay of this check is compared on (``check_details``)."""
        return check_details(
            observed_at=self.observed_at,
            location=self.location,
            activity=self.activity,
            safety_status=self.safety_status,
            note=self.note,
        )


@dataclass
class ItemResult:
    """What became of one item: created, replayed (the first check's id) or refused (why)."""

    client_id: str
    status: str = REFUSED
    check: UUID | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def _refuse(result: ItemResult, field_name: str, message: str) -> None:
    result.status, result.errors = REFUSED, {field_name: [message]}


def _placements(person_ids: set[int]) -> dict[int, tuple[Room | None, Bed | None]]:
    """Each person's current room and bed, for checking scanned codes (one query)."""
    if not person_ids:
        return {}
    rows = (
        Placement.objects.current()
        .filter(episode__person_id__in=person_ids)
        .select_related("bed__room", "episode")
    )
    return {p.episode.person_id: (p.bed.room if p.bed else None, p.bed) for p in rows}


def record_checks(
    items: Sequence[CheckItem], *, actor: Any, device: TrustedDevice | None = None
) -> list[ItemResult]:
    """Record a batch of up to MAX_BATCH checks; each item succeeds or fails on its own.

    The whole batch is refused (403) only when the actor may not record checks at all. An item
    whose order is out of the actor's scope is refused as "not found" (and the refusal audited),
    exactly as a single check would answer 404; a bad item never loses the good ones. A client
    id already stored (by an earlier sync, another device, or earlier in this batch) answers
    "replayed" with the first check when the details agree, and is refused when they differ.
    Two devices syncing overlapping batches at once: the insert skips client ids that the other
    stored first (ON CONFLICT DO NOTHING) and the re-read answers those as replays, so nothing
    is stored twice and nothing is lost.
    """
    acting = policy.require(actor, ACTION)
    if len(items) > MAX_BATCH:
        raise invalid("checks", f"Send at most {MAX_BATCH:,} checks in one sync.")
    now = clock.now()
    results = [ItemResult(client_id=str(item.client_id)) for item in items]
    client_ids: list[UUID | None] = [_uuid(item.client_id) for item in items]
    order_ids: list[UUID | None] = [_uuid(item.order) for item in items]

    # Scope once for the whole batch: the orders the actor can see, then the action's own
    # record rule (emergency access is read-only) for each of them.
    wanted = {pid for pid in order_ids if pid is not None}
    visible = {
        o.public_id: o
        for o in policy.restrict(
            ObservationOrder.objects.filter(public_id__in=wanted), acting, ACTION
        ).select_related("level", "person")
    }
    rule = policy.actions()[ACTION]
    allowed = {pid for pid, o in visible.items() if rule.check is None or rule.check(acting, o)}
    known = {
        c.client_id: c
        for c in Check.objects.filter(client_id__in={c for c in client_ids if c is not None})
    }
    qr_persons = {
        visible[pid].person_id
        for pid, item in zip(order_ids, items, strict=True)
        if pid in allowed and item.proof == Proof.QR
    }
    placed = _placements(qr_persons)

    refusals: list[dict[str, Any]] = []
    pending: dict[UUID, tuple[int, Check]] = {}  # client id -> (item index, unsaved check)
    duplicates: list[tuple[int, int]] = []  # (item index, index of the first with its id)
    for n, item in enumerate(items):
        result, cid, pid = results[n], client_ids[n], order_ids[n]
        if cid is None:
            _refuse(result, "client_id", "The client id must be a UUID.")
            continue
        order = visible.get(pid) if pid is not None else None
        if order is None or pid not in allowed:
            why = "not_found" if order is None else "forbidden"
            _refuse(result, "order", NOT_FOUND if order is None else FORBIDDEN)
            refusals.append(_refusal(actor, pid, order, why))
            continue
        details = item.details()
        if (existing := known.get(cid)) is not None:
            _as_replay(result, existing, order, details)
            continue
        if cid in pending:
            duplicates.append((n, pending[cid][0]))
            continue
        try:
            values = validate_check(
                order,
                now=now,
                placed=placed.get(order.person_id, (None, None)),
                **item.check_fields(),
            )
        except ValidationError as error:
            result.status, result.errors = REFUSED, dict(error.message_dict)
            continue
        check = new_check(
            order, values, staff_pk=acting.staff_pk, now=now, client_id=cid, device=device
        )
        pending[cid] = (n, check)

    if pending or refusals:
        with transaction.atomic():
            events = _store(pending, results, items, visible, order_ids, acting.user)
            audit.record_many([*refusals, *events])

    for n, first in duplicates:
        # The same client id twice in one batch: the second is a replay of the first.
        cid, pid = client_ids[n], order_ids[n]
        same = pid == order_ids[first] and items[n].details() == items[first].details()
        if not same:
            _refuse(results[n], "client_id", REPLAY_CONFLICT)
        elif results[first].status == REFUSED:
            results[n].status, results[n].errors = REFUSED, dict(results[first].errors)
        else:
            results[n].status, results[n].check = REPLAYED, results[first].check
    return results


def _as_replay(
    result: ItemResult, existing: Check, order: ObservationOrder, details: dict[str, Any]
) -> None:
    if existing.order_id != order.pk:
        _refuse(result, "client_id", OTHER_ORDER)
    elif not same_details(existing, details):
        _refuse(result, "client_id", REPLAY_CONFLICT)
    else:
        result.status, result.check = REPLAYED, existing.public_id


def _refusal(
    actor: Any, pid: UUID | None, order: ObservationOrder | None, why: str
) -> dict[str, Any]:
    """The audit event of one refused item, as ``policy.require`` would have written it."""
    return {
        "actor": policy.actor_for(actor).user,
        "action": Action.UPDATE,
        "object_type": "rounds.observationorder",
        "object_id": str(pid) if pid is not None else "",
        "person_id": order.person.public_id if order is not None else None,
        "outcome": Outcome.DENIED,
        "detail": {"policy_action": ACTION, "refusal": why, "batch": True},
    }


def _store(
    pending: dict[UUID, tuple[int, Check]],
    results: list[ItemResult],
    items: Sequence[CheckItem],
    visible: dict[UUID, ObservationOrder],
    order_ids: list[UUID | None],
    actor: Any,
) -> list[dict[str, Any]]:
    """Insert the new checks, answer each item, move each order's clock once; returns the
    audit events of the checks this call stored."""
    if not pending:
        return []
    # Lock the orders in key order (two devices never deadlock) before touching their clocks.
    order_pks = sorted({check.order_id for _, check in pending.values()})
    locked = {
        o.pk: o
        for o in ObservationOrder.objects.select_for_update(of=("self",))
        .filter(pk__in=order_pks)
        .select_related("level", "person")
        .order_by("pk")
    }
    # The orders as locked (ended or paused since the batch read them), a moment inside a
    # pause, a moment another check already holds: such items are refused, each saying why.
    verdicts = clashes(
        [(locked[c.order_id], c.observed_at, cid) for cid, (_, c) in pending.items()]
    )
    refused: dict[UUID, int] = {}
    for (cid, (n, _)), errors in zip(list(pending.items()), verdicts, strict=True):
        if errors:
            results[n].status, results[n].errors = REFUSED, errors
            refused[cid] = n
            del pending[cid]
    if refused:
        # Another device may have stored one of them a moment ago: that answer is a replay.
        for other in Check.objects.filter(client_id__in=list(refused)):
            n = refused[other.client_id]
            _as_replay(results[n], other, visible[order_ids[n]], items[n].details())  # type: ignore[index]
    if not pending:
        return []
    checks = [check for _, check in pending.values()]
    # One read of the persons' placements labels the checks and names each audit event's
    # category (Part 2 when ever placed in a substance-use program), as for a single check.
    placements = placements_by_person(locked[c.order_id].person_id for c in checks)
    stamp_many(checks, placements)
    insert_objects(checks, skip_conflicts_on="client_id")
    # Re-read only keys: which rows are ours (our public id) and which another device stored.
    stored = {
        cid: (pk, public_id)
        for cid, pk, public_id in Check.objects.filter(client_id__in=list(pending)).values_list(
            "client_id", "pk", "public_id"
        )
    }
    created: list[Check] = []
    theirs: dict[UUID, int] = {}
    for cid, (n, ours) in pending.items():
        row = stored.get(cid)
        if row is None:
            _refuse(results[n], "client_id", "This check could not be stored; send it again.")
        elif row[1] == ours.public_id:
            ours.pk = row[0]
            results[n].status, results[n].check = CREATED, ours.public_id
            created.append(ours)
        else:
            theirs[cid] = row[0]
    # Another device stored these client ids a moment ago: answer them as replays.
    for other in Check.objects.filter(pk__in=theirs.values()):
        n = pending[other.client_id][0]
        _as_replay(
            results[n],
            other,
            visible[order_ids[n]],  # type: ignore[index]
            items[n].details(),
        )
    latest: dict[int, datetime] = {}
    recorded: dict[int, int] = {}
    for check in created:
        if check.order_id not in latest or check.observed_at > latest[check.order_id]:
            latest[check.order_id] = check.observed_at
        recorded[check.order_id] = recorded.get(check.order_id, 0) + 1
    back_on_time = [
        pk for pk, seen in latest.items() if advance_clock(locked[pk], seen, recorded=recorded[pk])
    ]
    if back_on_time:
        # One batch, one server moment: every check of it has the same recorded_at.
        escalation.resolve_check_alerts([locked[pk] for pk in back_on_time], created[0].recorded_at)
    escalation.alert_checks_not_safe(created, locked)
    part2 = {person_id for person_id, rows in placements.items() if is_part2_person(rows)}
    events = []
    for check in sorted(created, key=lambda c: c.pk):
        order = locked[check.order_id]
        events.append(
            {
                "actor": actor,
                "action": Action.CREATE,
                "target": check,
                "person_id": order.person.public_id,
                "category": (
                    Category.SUBSTANCE_USE if order.person_id in part2 else Category.GENERAL
                ),
                "purpose": Purpose.TREATMENT,
                "detail": check_audit_detail(order, check),
            }
        )
    return events


__all__ = ["MAX_BATCH", "CheckItem", "ItemResult", "record_checks"]
