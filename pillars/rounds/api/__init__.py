"""Rounds in the JSON API: one router per area, mounted together under /api/v1/."""

from pillars.core.api_mount import mounted
from pillars.rounds.api import (
    board,
    coverage,
    escalation,
    handoffs,
    inspections,
    levels,
    orders,
    sync,
)

router = mounted(
    orders.router,
    board.router,
    levels.router,
    sync.router,
    coverage.router,
    escalation.router,
    inspections.router,
    handoffs.router,
)
