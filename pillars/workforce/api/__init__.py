"""Workforce in the JSON API: one router per area, mounted together under /api/v1/."""

from ninja import Router

from pillars.workforce.api import (
    caseloads,
    credentials,
    drift,
    gating,
    ladder,
    recognition,
    retention,
    supervision,
    trainings,
    wellbeing,
)

router = Router()
router.add_router("", credentials.router)
router.add_router("", trainings.router)
router.add_router("", gating.router)
router.add_router("", supervision.router)
router.add_router("", drift.router)
router.add_router("", caseloads.router)
router.add_router("", wellbeing.router)
router.add_router("", recognition.router)
router.add_router("", ladder.router)
router.add_router("", retention.router)
