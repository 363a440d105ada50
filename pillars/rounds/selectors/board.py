"""The unit board: every person on observation on one unit, with their clock, in a constant
number of queries whatever the census (select_related for the person and level, the bed from
the placement the filter joins, indexed correlated subqueries for the last check, a prefetch
each for the open exceptions and coverage of the orders that can have them).

Reading the board shows persons served, so each read is one audited list read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404

from pillars.core import clock, policy, prepared
from pillars.core.reads import choice_label
from pillars.people.choices import UnitKind
from pillars.people.models import PersonServed, Placement, Unit
from pillars.people.selectors import record_list_read
from pillars.rounds.choices import (
    Activity,
    AssignmentKind,
    CheckStatus,
    ExceptionKind,
    Location,
    Precaution,
)
from pillars.rounds.models import (
    Check,
    Coverage,
    MonitoringException,
    ObservationOrder,
    ShiftAssignment,
)
from pillars.rounds.selectors.orders import orders_placed_on
from pillars.rounds.services.inspections import (
    LigatureRisk,
    has_risk_precautions,
    open_ligature_work_orders,
    risk_message,
)

# Shown beside the text of each precaution; the text is what a screen reader says.
PRECAUTION_ICONS = {
    Precaution.SUICIDE: "⚠",
    Precaution.SELF_HARM: "◍",
    Precaution.ELOPEMENT: "⇥",
    Precaution.FALL: "↓",
    Precaution.ASSAULT: "⚡",
    Precaution.SEXUAL_SAFETY: "◎",
    Precaution.SEIZURE: "✚",
}

# Status is never colour alone (DESIGN.md): each has its words and an icon, and a CSS tone.
STATUS_LOOK = {
    CheckStatus.UPCOMING: ("○", "ok"),
    CheckStatus.DUE: ("◷", "warn"),
    CheckStatus.LATE: ("⚠", "danger"),
    CheckStatus.MISSED: ("✖", "danger"),
    CheckStatus.PAUSED: ("‖", "muted"),
    CheckStatus.ENDED: ("■", "muted"),
}


def _labelled(choices: Any, attribute: str) -> property:
    """A row's read-only attribute: the label of its ``attribute`` among ``choices`` (the value
    itself when it is not one of them)."""
    return property(lambda row: choice_label(choices, getattr(row, attribute)))


@dataclass
class BoardRow:
    """One person on the board: what the floor needs to see at a glance."""

    order: ObservationOrder
    status: str
    status_label: str
    status_icon: str
    tone: str
    due_at: datetime | None
    seconds_to_due: int | None
    room: str
    bed: str
    room_id: int | None
    last_observed_at: datetime | None
    last_location: str
    last_activity: str
    precautions: list[tuple[str, str, str]]
    # The last check was entered long after it was seen (DESIGN.md rule 1: late entries are
    # flagged, never hidden): when it was entered is shown beside it.
    last_is_late_entry: bool = False
    last_recorded_at: datetime | None = None
    paused_kind: str = ""
    with_now: list[str] = field(default_factory=list)
    is_mine: bool = False
    # Suicide or self-harm precautions in a room with an open ligature finding.
    ligature: str = ""
    # What other apps add to the row (board_extras): links and flags.
    extras: list[Any] = field(default_factory=list)

    @property
    def extra_links(self) -> list[Any]:
        return [e for e in self.extras if e.kind == "link"]

    @property
    def extra_flags(self) -> list[Any]:
        return [e for e in self.extras if e.kind == "flag"]

    @property
    def person(self) -> Any:
        return self.order.person

    @property
    def name(self) -> str:
        return str(self.order.person.display_name)

    @property
    def has_last_check(self) -> bool:
        return bool(self.last_location and self.last_activity)

    @property
    def state(self) -> Any:
        """The first extra that says what state the person is in (seclusion, restraint)."""
        return next((e for e in self.extras if e.location or e.activity), None)

    @property
    def tap_location(self) -> str:
        """What the one-tap check records as the place: the person's state when they are in
        one, else the last check's place."""
        state = self.state
        return (state.location if state and state.location else "") or self.last_location

    @property
    def tap_activity(self) -> str:
        state = self.state
        return (state.activity if state and state.activity else "") or self.last_activity

    @property
    def has_tap(self) -> bool:
        return bool(self.tap_location and self.tap_activity)

    # The labels of the locations and activities shown, read from their choices.
    tap_location_label = _labelled(Location, "tap_location")
    tap_activity_label = _labelled(Activity, "tap_activity")
    last_location_label = _labelled(Location, "last_location")
    last_activity_label = _labelled(Activity, "last_activity")

    @property
    def open_exception(self) -> Any:
        exceptions = self.order.open_exceptions  # type: ignore[attr-defined]
        return exceptions[0] if exceptions else None

    @property
    def needs_coverage_shown(self) -> bool:
        return self.order.level.staff_ratio > 0

    def due_text(self) -> str:
        """Time to due in words: "due in 4 min", "due now", "overdue by 6 min"."""
        if self.seconds_to_due is None:
            return self.status_label
        if self.seconds_to_due > 0:
            return f"due in {math.ceil(self.seconds_to_due / 60)} min"
        if self.seconds_to_due >= -59:
            return "due now"
        return f"overdue by {abs(self.seconds_to_due) // 60} min"


# The columns the board uses of an order, its person and its level: what the row shows, its
# clock (``status_at``, ``next_due_at``), the coverage and ligature rules and the Part 2 label
# (the label guard reads ``is_part2`` and ``made_in_unit_id`` of every row it fetches). Not the
# reason, instructions, escalation state or the persons' other particulars.
BOARD_COLUMNS = (
    "public_id",
    "organization_id",
    "made_in_unit_id",
    "is_part2",
    "person_id",
    "episode_id",
    "level_id",
    "precautions",
    "started_at",
    "ended_at",
    "last_observed_at",
    "paused_at",
    "resumed_at",
    "person__public_id",
    "person__preferred_name",
    "person__legal_given_name",
    "person__legal_family_name",
    "level__name",
    "level__interval_minutes",
    "level__grace_factor",
    "level__due_window_minutes",
    "level__staff_ratio",
)


@cache
def _board_columns() -> dict[str, Any]:
    """The columns the board reads beside each order. They hold no value of a request, and a
    query copies an expression before resolving it, so they are built once per process."""
    last = Check.objects.filter(
        order=OuterRef("pk"), observed_at=OuterRef("last_observed_at")
    ).order_by("-pk")
    return {
        # The open placement joined by the filter (an annotation after the filter reuses its
        # join): no query of its own for the beds.
        "board_room": F("episode__placements__bed__room__name"),
        "board_room_id": F("episode__placements__bed__room_id"),
        "board_bed": F("episode__placements__bed__label"),
        "board_location": Subquery(last.values("location")[:1]),
        "board_activity": Subquery(last.values("activity")[:1]),
        "board_late": Subquery(last.values("is_late_entry")[:1]),
        "board_recorded": Subquery(last.values("recorded_at")[:1]),
        # Lets record_list_read label the audit event without a query of its own.
        "board_part2": Exists(
            Placement.objects.filter(
                episode__person=OuterRef("person"), unit__is_substance_use_program=True
            )
        ),
    }


def _open_orders(user: Any, unit: Unit, order_id: Any = None) -> prepared.Pending[ObservationOrder]:
    """The open orders of persons placed on the unit now that the user may see (or the one
    named), each with its bed (from the placement the filter joins) and its last check (the
    one observed at the order's ``last_observed_at``: a late entry never moves that back; the
    newest such check when two share the moment) as columns of the same query. The read, its
    joins, its columns' subqueries and the user's scope, is built and compiled once per
    process per reader (``policy.restricted_later``): the same on every refresh."""
    if order_id is None:
        return policy.restricted_later(
            "the board's orders", user, "rounds.view", _orders_on, unit.pk
        )
    return policy.restricted_later(
        "one order of the board", user, "rounds.view", _order_on, unit.pk, order_id
    )


def _order_on(unit_id: int, order_id: Any) -> QuerySet[ObservationOrder]:
    return _orders_on(unit_id).filter(public_id=order_id)


def _orders_on(unit_id: int) -> QuerySet[ObservationOrder]:
    # No ORDER BY: the rows are sorted once built (room order or due first).
    return orders_placed_on(unit_id).order_by().only(*BOARD_COLUMNS).annotate(**_board_columns())


def _with_open_rows(orders: list[ObservationOrder]) -> prepared.Steps[None]:
    """Each order's open exceptions (newest first) and open coverage stretches (oldest first,
    with their staff's names), read only for the orders that can have any: an open exception
    is what pauses an order (``services.exceptions`` sets ``paused_at`` when one starts and
    clears it when it ends), and coverage is started on 1:1 and 2:1 levels only, its stretches
    ending with their order. A unit with no one paused or on 1:1 reads neither. Only the
    columns the rows show are read, each read's SQL compiled once per number of orders and its
    condition resolved once per process for the orders read (``core.prepared``): the same on
    every refresh of the board. The two reads are asked together (``prepared.Steps``)."""
    paused = sorted(order.pk for order in orders if order.paused_at is not None)
    covered = sorted(order.pk for order in orders if order.level.staff_ratio > 0)
    asked: list[prepared.Pending[Any]] = []
    if paused:
        # What the row shows of an exception: its kind and the link to end it.
        asked.append(
            prepared.rows_later(
                "open exceptions of the board's paused orders",
                prepared.filtered(
                    MonitoringException.objects.all(),
                    Q(ended_at__isnull=True, order_id__in=paused),
                )
                .only("public_id", "order_id", "kind", "started_at")
                .order_by("-started_at"),
            )
        )
    if covered:
        # Who is with the person (the staff member's name), and the relief link.
        asked.append(
            prepared.rows_later(
                "open coverage of the board's orders",
                prepared.filtered(
                    Coverage.objects.all(), Q(ended_at__isnull=True, order_id__in=covered)
                )
                .select_related("staff")
                .only("public_id", "order_id", "staff_id", "started_at", "staff__display_name")
                .order_by("started_at", "pk"),
            )
        )
    found = iter((yield asked))
    exceptions: dict[int, list[MonitoringException]] = {}
    for exception in next(found) if paused else []:
        exceptions.setdefault(exception.order_id, []).append(exception)
    coverage: dict[int, list[Coverage]] = {}
    for stretch in next(found) if covered else []:
        coverage.setdefault(stretch.order_id, []).append(stretch)
    for order in orders:
        order.open_exceptions = exceptions.get(order.pk, [])  # type: ignore[attr-defined]
        order.open_coverage = coverage.get(order.pk, [])  # type: ignore[attr-defined]


def _with_last_check_moment(orders: list[ObservationOrder]) -> None:
    """The last check's moment is the order's ``last_observed_at`` when that check was found."""
    for order in orders:
        found = order.board_location is not None  # type: ignore[attr-defined]
        order.board_observed_at = order.last_observed_at if found else None  # type: ignore[attr-defined]


@prepared.stepwise
def assignment_scope(
    user: Any, unit: Unit, now: datetime
) -> prepared.Steps[tuple[set[int], set[int]]]:
    """The persons and rooms the signed-in staff member is assigned to on the unit right now
    (kind person -> that person; kind room -> whoever is in a bed of that room)."""
    actor = policy.actor_for(user)
    if actor.staff_id is None:
        return set(), set()
    persons: set[int] = set()
    rooms: set[int] = set()
    rows = yield prepared.rows_later(
        "the board's assignment of the signed-in staff member",
        # Who and where are the same on every refresh: resolved once per process.
        prepared.filtered(
            ShiftAssignment.objects.all(), Q(unit_id=unit.pk, staff_id=actor.staff_id)
        )
        .filter(starts_at__lte=now, ends_at__gt=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .values_list("kind", "person_id", "room_id"),
    )
    for kind, person_id, room_id in rows:
        if kind == AssignmentKind.PERSON and person_id is not None:
            persons.add(person_id)
        elif kind == AssignmentKind.ROOM and room_id is not None:
            rooms.add(room_id)
    return persons, rooms


def _row(order: Any, now: datetime, mine: tuple[set[int], set[int]]) -> BoardRow:
    status = order.status_at(now)
    icon, tone = STATUS_LOOK.get(status, ("", "muted"))
    paused_kind = ""
    exceptions = order.open_exceptions
    if status == CheckStatus.PAUSED and exceptions:
        paused_kind = choice_label(ExceptionKind, exceptions[0].kind)
    due_at = order.next_due_at() if status not in (CheckStatus.PAUSED, CheckStatus.ENDED) else None
    persons, rooms = mine
    return BoardRow(
        order=order,
        status=status,
        status_label=f"Paused: {paused_kind}" if paused_kind else str(CheckStatus(status).label),
        status_icon=icon,
        tone=tone,
        due_at=due_at,
        seconds_to_due=int((due_at - now).total_seconds()) if due_at else None,
        room=order.board_room or "",
        bed=order.board_bed or "",
        room_id=order.board_room_id,
        last_observed_at=order.board_observed_at,
        last_location=order.board_location or "",
        last_activity=order.board_activity or "",
        last_is_late_entry=bool(order.board_observed_at and order.board_late),
        last_recorded_at=order.board_recorded if order.board_observed_at else None,
        precautions=[
            (code, choice_label(Precaution, code), PRECAUTION_ICONS.get(code, "•"))
            for code in order.precautions
        ],
        paused_kind=paused_kind,
        with_now=[c.staff.display_name for c in order.open_coverage],
        is_mine=order.person_id in persons or order.board_room_id in rooms,
    )


def _ligature_work_orders(
    unit: Unit, orders: list[ObservationOrder], now: datetime
) -> prepared.Steps[dict[int, list[Any]]]:
    """The unit's open ligature work orders by room (``open_ligature_work_orders``), read only
    when someone shown in a room is on suicide or self-harm precautions."""
    if not any(_at_ligature_risk(order, now) for order in orders):
        return {}
    return (yield from open_ligature_work_orders.steps(unit, now))


def _at_ligature_risk(order: Any, now: datetime) -> bool:
    return bool(order.board_room_id) and order.started_at <= now and has_risk_precautions(order)


def _flag_ligature_risks(rows: list[BoardRow], now: datetime, by_room: dict[int, Any]) -> None:
    """Say so on each row of a person on suicide or self-harm precautions whose bed is in a
    room with an open ligature finding (the rule of ``ligature_risks``, read live, not waiting
    for the sweep): the unit's findings by room, read with the rows' other reads; the rows
    already hold rooms and orders."""
    for row in rows:
        if not _at_ligature_risk(row.order, now):
            continue
        found = by_room.get(row.room_id or 0)
        if not found:
            continue
        order = row.order
        work_order = found[0]
        assert work_order.room is not None
        since = max(work_order.opened_at, order.started_at)
        row.ligature = risk_message(
            LigatureRisk(row.person, work_order.room, work_order, order, since)
        )


def due_first(row: BoardRow) -> tuple[Any, ...]:
    """Most urgent first; paused persons (nobody can check them) after everyone else."""
    paused = row.due_at is None
    return (paused, row.due_at or row.order.started_at, row.room, row.bed, row.name)


def room_order(row: BoardRow) -> tuple[Any, ...]:
    """The walk down the hall: rooms in name order, beds within a room, unbedded persons last.
    The order's id breaks ties, so two loads never differ."""
    return (row.room == "", row.room, row.bed, row.name, str(row.order.public_id))


@prepared.stepwise
def board_rows(
    user: Any,
    unit: Unit,
    *,
    mine: bool = False,
    sort: str = "due",
    order_id: Any = None,
    what: str = "unit board",
) -> prepared.Steps[list[BoardRow]]:
    """The board for a unit now: one row per open order of a person placed on the unit, due
    first (or in room order for a round). ``mine`` keeps the signed-in staff member's
    assignment only. One audited list read names the persons shown."""
    now = clock.now()
    # Two steps of reads: the user's assignment with the orders, then what the orders' rows
    # show besides (open exceptions and coverage, ligature findings) together.
    scope, orders = yield from prepared.all_of(
        assignment_scope.steps(user, unit, now),
        prepared.waited(_open_orders(user, unit, order_id)),
    )
    _with_last_check_moment(orders)
    _, by_room = yield from prepared.all_of(
        _with_open_rows(orders), _ligature_work_orders(unit, orders, now)
    )
    rows = [_row(order, now, scope) for order in orders]
    _flag_ligature_risks(rows, now, by_room)
    if mine:
        rows = [row for row in rows if row.is_mine]
    rows.sort(key=room_order if sort == "room" else due_first)
    people = []
    for row in rows:
        row.person.ever_part2 = row.order.board_part2  # type: ignore[attr-defined]
        people.append(row.person)
    record_list_read(
        user,
        people,
        what=f"{what} {unit.code}",
        detail={"unit": unit.code, "mine": mine},
    )
    return rows


def record_panels_read(user: Any, unit: Unit) -> None:
    """The audited read behind the board's panels on their own: they name or count persons
    placed on the unit now (those the user may see), so the read lists them, as the board's
    rows do."""
    persons = list(
        policy.restrict(PersonServed.objects.all(), user, "people.view_person")
        .filter(episodes__placements__unit=unit, episodes__placements__ended_at__isnull=True)
        .distinct()
        .order_by("pk")
    )
    record_list_read(user, persons, what=f"board panels {unit.code}", detail={"unit": unit.code})


def board_row(user: Any, order: ObservationOrder) -> tuple[Unit, BoardRow]:
    """One row of the board (after a check is recorded), read the same way as the board, with
    the unit the person is on."""
    placement = (
        Placement.objects.current().filter(episode_id=order.episode_id).select_related("unit")
    ).first()
    if placement is None:
        raise Http404("Not found")
    rows = board_rows(user, placement.unit, order_id=order.public_id, what="board row")
    if not rows:
        raise Http404("Not found")
    return placement.unit, rows[0]


def board_units_for(user: Any) -> QuerySet[Unit]:
    """The units whose board the user may open: their own units (all units for
    organization-wide roles), active ones only. A community program has participants enrolled,
    not persons on observation rounds, so it has no board."""
    policy.require(user, "rounds.view")
    return (
        policy.restrict(Unit.objects.select_related("site"), user, "people.view_unit")
        .filter(is_active=True)
        .exclude(kind=UnitKind.COMMUNITY)
    )
