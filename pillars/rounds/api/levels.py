"""Observation levels in the JSON API: reference data (no person served in them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from pillars.core import policy
from pillars.core.api_errors import error_responses
from pillars.core.declare import audit_exempt
from pillars.core.entry import Out
from pillars.rounds.models import ObservationLevel
from pillars.rounds.selectors.levels import levels_visible_to

router = Router(tags=["rounds"])


class LevelOut(Out):
    public_id: UUID
    code: str
    version: int
    is_current: bool
    name: str
    interval_minutes: int
    grace_factor: Decimal
    missed_after_minutes: float
    due_window_minutes: int
    staff_ratio: int
    is_line_of_sight: bool
    sort_order: int
    created_at: datetime

    @staticmethod
    def resolve_missed_after_minutes(level: ObservationLevel) -> float:
        return level.missed_after.total_seconds() / 60


class LevelFilter(Schema):
    include_older: bool = False


@router.get(
    "/levels",
    response={200: list[LevelOut], **error_responses(401, 403)},
    summary="Observation levels (current versions; older ones on request)",
)
@audit_exempt("reference data: observation levels name no person served")
def list_levels(request: HttpRequest, filters: Query[LevelFilter]) -> list[LevelOut]:
    policy.require(request.user, "rounds.view_levels")
    levels = levels_visible_to(request.user, include_older=filters.include_older)
    return [LevelOut.of(level) for level in levels]
