"""Reads of shift handoffs, and the compiler that turns a shift's own data into a snapshot.

``compile_snapshot`` reads the unit's persons served during the shift and, per person, the
level and precaution changes, late and missed checks (from the check sequence and the level's
interval and grace, see ``integrity.rounds_gaps``), late entries (seen in the shift, or entered
during it for an earlier moment), monitoring exceptions, 1:1 coverage stretches and open
escalation alerts; plus the unit's open environment-of-care findings (a hook the inspections
work connects). A fixed number of queries whatever the unit's size.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import policy
from pillars.core.entry import get_for
from pillars.people.alerts import Alert, AlertKind
from pillars.people.models import Placement, Unit
from pillars.rounds import integrity
from pillars.rounds.choices import ExceptionKind, Precaution
from pillars.rounds.models import (
    Check,
    Coverage,
    Handoff,
    MonitoringException,
    ObservationOrder,
    WorkOrder,
)

# Checks this long before the shift are read to find the last observation before it (the
# longest interval a level may have is 240 minutes: services.orders.change_level).
LOOKBACK = timedelta(hours=4)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _open_findings(unit: Unit, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Environment-of-care findings (work orders) on the unit that were open at the shift's
    end: opened before it ended and not closed by then. Ligature findings first."""
    orders = (
        WorkOrder.objects.filter(unit=unit, opened_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=end))
        .select_related("room")
        .order_by("-is_ligature", "opened_at", "pk")
    )
    return [
        {
            "what": order.title,
            "room": order.room.name if order.room else order.area,
            "severity": "ligature" if order.is_ligature else "finding",
            "found_at": order.opened_at.isoformat(),
            "public_id": str(order.public_id),
        }
        for order in orders
    ]


def _overlapping(qs: QuerySet[Any], start: datetime, end: datetime, begin: str, finish: str) -> Any:
    return qs.filter(**{f"{begin}__lt": end}).filter(
        Q(**{f"{finish}__isnull": True}) | Q(**{f"{finish}__gt": start})
    )


def _precautions(values: list[str]) -> list[str]:
    labels = dict(Precaution.choices)
    return [str(labels.get(v, v)) for v in values]


def _late_entry(c: Check, start: datetime) -> dict[str, Any]:
    """A late entry as the handoff lists it; ``before_shift`` when it was seen before the shift
    began (entered during it)."""
    return {
        "check": str(c.public_id),
        "observed_at": _iso(c.observed_at),
        "recorded_at": _iso(c.recorded_at),
        "reason": c.late_reason,
        "by": c.observed_by.display_name,
        "before_shift": c.observed_at < start,
    }


def _unit_may_read(unit: Unit) -> Q:
    """A handoff is read by the unit's own team: it leaves out what another Part 2 program
    wrote (a person transferred in keeps that program's records there)."""
    return Q(is_part2=False) | Q(made_in_unit=unit)


def compile_snapshot(unit: Unit, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    """The handoff's content, as JSON-ready data (times as ISO 8601 UTC)."""
    until = min(end, now)
    placements = list(
        _overlapping(Placement.objects.filter(unit=unit), start, end, "started_at", "ended_at")
        .select_related("episode__person", "bed__room")
        .order_by("episode__person__legal_family_name", "episode__person__legal_given_name")
    )
    persons = {p.episode.person_id: p for p in placements}
    orders = list(
        _overlapping(
            ObservationOrder.objects.filter(person_id__in=persons).filter(_unit_may_read(unit)),
            start,
            end,
            "started_at",
            "ended_at",
        )
        .select_related("level")
        .order_by("started_at", "pk")
    )
    checks = list(
        Check.objects.filter(
            _unit_may_read(unit),
            order__in=orders,
            observed_at__gte=start - LOOKBACK,
            observed_at__lt=end,
        )
        .select_related("observed_by")
        .order_by("observed_at", "pk")
    )
    # A check entered during the shift for a moment before it (a back-fill made after the last
    # handoff was compiled) is listed too: otherwise no handoff would ever show it.
    entered_late: dict[int, list[Check]] = defaultdict(list)
    for c in (
        Check.objects.filter(
            _unit_may_read(unit),
            order__person_id__in=persons,
            is_late_entry=True,
            recorded_at__gte=start,
            recorded_at__lt=end,
            observed_at__lt=start,
        )
        .select_related("observed_by", "order")
        .order_by("observed_at", "pk")
    ):
        entered_late[c.order.person_id].append(c)
    exceptions = list(
        _overlapping(
            MonitoringException.objects.filter(order__in=orders),
            start,
            end,
            "started_at",
            "ended_at",
        ).order_by("started_at", "pk")
    )
    coverage = list(
        _overlapping(
            Coverage.objects.filter(order__in=orders), start, end, "started_at", "ended_at"
        )
        .select_related("staff")
        .order_by("started_at", "pk")
    )
    # The escalations still open at the shift's end: one closed before it (a check recorded,
    # the order ended) was answered, acknowledged or not.
    alerts = list(
        Alert.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=end),
            unit=unit,
            kind=AlertKind.ESCALATION,
            acknowledged_at__isnull=True,
            due_at__lt=end,
            person_id__in=persons,
        )
        .select_related("recipient")
        .order_by("due_at", "pk")
    )
    by_order: dict[int, list[Check]] = defaultdict(list)
    for c in checks:
        by_order[c.order_id].append(c)
    pauses_by_order: dict[int, list[MonitoringException]] = defaultdict(list)
    for e in exceptions:
        pauses_by_order[e.order_id].append(e)
    kinds = dict(ExceptionKind.choices)
    people = []
    for person_pk, placement in persons.items():
        person = placement.episode.person
        own_orders = [o for o in orders if o.person_id == person_pk]
        level_changes = []
        gaps: list[dict[str, Any]] = []
        late_entries = []
        for order in own_orders:
            if start <= order.started_at < end or (
                order.ended_at is not None and start <= order.ended_at < end
            ):
                level_changes.append(
                    {
                        "level": order.level.name,
                        "precautions": _precautions(order.precautions),
                        "started_at": _iso(order.started_at),
                        "ended_at": _iso(order.ended_at),
                        "reason": order.reason,
                        "started_in_shift": start <= order.started_at < end,
                    }
                )
            seen = by_order[order.pk]
            window_start = max(start, order.started_at)
            window_end = min(until, order.ended_at or until)
            if window_end <= window_start:
                continue
            before = [c.observed_at for c in seen if c.observed_at < window_start]
            anchor = before[-1] if before else order.started_at
            pauses = [(e.started_at, e.ended_at or window_end) for e in pauses_by_order[order.pk]]
            for gap in integrity.rounds_gaps(
                anchor,
                [c.observed_at for c in seen],
                window_end,
                interval=order.level.interval,
                missed_after=order.level.missed_after,
                pauses=pauses,
                starts_due=not before,
            ):
                if gap.ends_at <= window_start:
                    continue
                gaps.append(
                    {
                        "status": gap.status,
                        "from_at": _iso(gap.starts_at),
                        "to_at": _iso(gap.ends_at),
                        "minutes": gap.minutes,
                        "is_open": gap.is_open,
                        "level": order.level.name,
                    }
                )
            late_entries += [
                _late_entry(c, start)
                for c in seen
                if c.is_late_entry and start <= c.observed_at < end
            ]
        late_entries = [_late_entry(c, start) for c in entered_late[person_pk]] + late_entries
        in_force = next(
            (o for o in reversed(own_orders) if o.started_at < end),
            None,
        )
        own_order_pks = {o.pk for o in own_orders}
        people.append(
            {
                "person": str(person.public_id),
                "name": person.display_name,
                "record_number": person.record_number,
                "bed": str(placement.bed) if placement.bed else "",
                "level": in_force.level.name if in_force else "",
                "precautions": _precautions(in_force.precautions) if in_force else [],
                "level_changes": level_changes,
                "late_checks": [g for g in gaps if g["status"] == "late"],
                "missed_checks": [g for g in gaps if g["status"] == "missed"],
                "late_entries": late_entries,
                "exceptions": [
                    {
                        "kind": str(kinds.get(e.kind, e.kind)),
                        "reason": e.reason,
                        "with_whom": e.with_whom,
                        "where": e.where,
                        "started_at": _iso(e.started_at),
                        "ended_at": _iso(e.ended_at),
                    }
                    for e in exceptions
                    if e.order_id in own_order_pks
                ],
                "coverage": [
                    {
                        "staff": c.staff.display_name,
                        "started_at": _iso(c.started_at),
                        "ended_at": _iso(c.ended_at),
                    }
                    for c in coverage
                    if c.order_id in own_order_pks
                ],
                "open_alerts": [
                    {
                        "message": a.message,
                        "due_at": _iso(a.due_at),
                        "recipient": a.recipient.display_name,
                    }
                    for a in alerts
                    if a.person_id == person_pk
                ],
            }
        )
    return {
        "compiled_at": _iso(now),
        "starts_at": _iso(start),
        "ends_at": _iso(end),
        "persons": people,
        "open_findings": _open_findings(unit, start, end),
    }


def handoffs_on(user: Any, unit: Unit) -> list[Handoff]:
    """A unit's handoffs, newest first (the list names no persons served)."""
    policy.require(user, "rounds.view_handoffs", unit)
    return list(
        policy.restrict(Handoff.objects.all(), user, "rounds.view_handoffs")
        .filter(unit=unit)
        .select_related("outgoing_staff", "incoming_staff", "compiled_by")
        .order_by("-starts_at", "-pk")[:100]
    )


def get_handoff_for(user: Any, public_id: Any, action: str = "rounds.view_handoffs") -> Handoff:
    """One handoff, 404 when its unit is out of scope, 403 when not allowed; reading it shows
    persons served, so the read is audited naming them."""
    handoff = get_for(
        Handoff.objects.select_related("unit", "outgoing_staff", "incoming_staff", "compiled_by"),
        user,
        public_id,
        action,
    )
    audit.record(
        user,
        Action.VIEW,
        handoff,
        category=Category.SUBSTANCE_USE
        if handoff.unit.is_substance_use_program
        else Category.GENERAL,
        purpose=Purpose.TREATMENT,
        detail={
            "what": "shift handoff",
            "person_ids": [p["person"] for p in handoff.snapshot.get("persons", [])],
        },
    )
    return handoff
