"""Rounds in the JSON API: one router per area, mounted together under /api/v1/."""

from ninja import Router

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

router = Router()
router.add_router("", orders.router)
router.add_router("", board.router)
router.add_router("", levels.router)
router.add_router("", sync.router)
router.add_router("", coverage.router)
router.add_router("", escalation.router)
router.add_router("", inspections.router)
router.add_router("", handoffs.router)
