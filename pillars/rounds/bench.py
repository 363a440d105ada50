"""The board benchmark's baseline (routes exist only with PILLARS_BENCH, never in production):
the same rows rendered with the board's own row template, from one hand-written SQL query, with
no sign-in, no policy, no audit and no ORM query. ``make bench`` compares the real board with
it, so the ratio is what Pillars' protections and its query layer cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.dateparse import parse_datetime

from pillars.core import clock
from pillars.core.declare import audit_exempt
from pillars.people.models import PersonServed
from pillars.rounds.choices import Activity, Location, SafetyStatus
from pillars.rounds.models import ObservationLevel, ObservationOrder
from pillars.rounds.selectors.board import _row, due_first

BOARD_SQL = """
SELECT o.public_id, o.precautions, o.started_at, o.last_observed_at, o.paused_at, o.resumed_at,
       l.name, l.interval_minutes, l.grace_factor, l.due_window_minutes, l.staff_ratio,
       p.public_id, p.preferred_name, p.legal_given_name, p.legal_family_name,
       r.name, r.id, b.label, c.location, c.activity, c.observed_at, u.name, u.time_zone,
       c.is_late_entry, c.recorded_at
FROM rounds_observationorder o
JOIN people_personserved p ON p.id = o.person_id
JOIN rounds_observationlevel l ON l.id = o.level_id
JOIN people_placement pl ON pl.episode_id = o.episode_id AND pl.ended_at IS NULL
JOIN people_unit u ON u.id = pl.unit_id
LEFT JOIN people_bed b ON b.id = pl.bed_id
LEFT JOIN people_room r ON r.id = b.room_id
LEFT JOIN rounds_check c ON c.id = (
    SELECT c2.id FROM rounds_check c2 WHERE c2.order_id = o.id
    ORDER BY c2.observed_at DESC LIMIT 1
)
WHERE o.ended_at IS NULL AND pl.unit_id = %s
"""


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC) if value else None
    parsed = parse_datetime(str(value))
    return parsed.replace(tzinfo=parsed.tzinfo or UTC) if parsed else None


def _order(rec: tuple[Any, ...]) -> ObservationOrder:
    precautions = rec[1] if isinstance(rec[1], list) else json.loads(rec[1] or "[]")
    level = ObservationLevel(
        name=rec[6],
        interval_minutes=rec[7],
        grace_factor=Decimal(str(rec[8])),
        due_window_minutes=rec[9],
        staff_ratio=rec[10],
    )
    person = PersonServed(
        public_id=UUID(str(rec[11])),
        preferred_name=rec[12] or "",
        legal_given_name=rec[13],
        legal_family_name=rec[14],
    )
    order = ObservationOrder(
        public_id=UUID(str(rec[0])),
        precautions=precautions,
        started_at=_moment(rec[2]) or clock.now(),
        last_observed_at=_moment(rec[3]),
        paused_at=_moment(rec[4]),
        resumed_at=_moment(rec[5]),
        level=level,
        person=person,
    )
    order.open_exceptions = []  # type: ignore[attr-defined]
    order.open_coverage = []  # type: ignore[attr-defined]
    order.board_room, order.board_room_id, order.board_bed = rec[15], rec[16], rec[17]  # type: ignore[attr-defined]
    order.board_location, order.board_activity = rec[18], rec[19]  # type: ignore[attr-defined]
    order.board_observed_at = _moment(rec[20])  # type: ignore[attr-defined]
    order.board_late, order.board_recorded = bool(rec[23]), _moment(rec[24])  # type: ignore[attr-defined]
    return order


@audit_exempt("benchmark baseline: the board's rows from one query, no sign-in, no policy")
def bare_board(request: HttpRequest, unit_id: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(BOARD_SQL, [unit_id])
        records = cursor.fetchall()
    now = clock.now()
    rows = sorted((_row(_order(rec), now, (set(), set())) for rec in records), key=due_first)
    name, zone = (records[0][21], records[0][22]) if records else ("", "UTC")
    context = {
        "unit": SimpleNamespace(name=name),
        "zone": ZoneInfo(zone),
        "rows": rows,
        "mine": False,
        "now": clock.local(now, zone),
        "can_record": True,
        "can_pause": False,
        "locations": Location.choices,
        "activities": Activity.choices,
        "safety_statuses": SafetyStatus.choices,
        "new_client_id": uuid4,
        "back_url": "/",
    }
    return render(request, "rounds/partials/_board_rows.html", context)


urlpatterns = [path("board/<int:unit_id>", bare_board, name="bench-board")]
