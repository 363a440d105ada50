"""Rounds pages at /rounds/: each area's view module lists its own routes."""

from pillars.rounds.views import (
    board,
    coverage,
    escalation,
    handoffs,
    inspections,
    integrity,
    levels,
    orders,
    presence,
    set_aside,
)

app_name = "rounds"

urlpatterns: list = [
    *board.urlpatterns,
    *orders.urlpatterns,
    *levels.urlpatterns,
    *presence.urlpatterns,
    *coverage.urlpatterns,
    *escalation.urlpatterns,
    *inspections.urlpatterns,
    *integrity.urlpatterns,
    *handoffs.urlpatterns,
    *set_aside.urlpatterns,
]
