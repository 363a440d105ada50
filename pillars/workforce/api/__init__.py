"""Workforce in the JSON API: one router per area, mounted together under /api/v1/."""

from pillars.core.api_mount import mounted
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

router = mounted(
    credentials.router,
    trainings.router,
    gating.router,
    supervision.router,
    drift.router,
    caseloads.router,
    wellbeing.router,
    recognition.router,
    ladder.router,
    retention.router,
)
