"""Workforce pages at /workforce/: each area's view module lists its own routes."""

from pillars.workforce.views import (
    caseloads,
    credentials,
    drift,
    gating,
    ladder,
    recognition,
    retention,
    rules,
    supervision,
    trainings,
    wellbeing,
)

app_name = "workforce"

urlpatterns: list = [
    *credentials.urlpatterns,
    *trainings.urlpatterns,
    *gating.urlpatterns,
    *rules.urlpatterns,
    *supervision.urlpatterns,
    *drift.urlpatterns,
    *caseloads.urlpatterns,
    *wellbeing.urlpatterns,
    *recognition.urlpatterns,
    *ladder.urlpatterns,
    *retention.urlpatterns,
]
