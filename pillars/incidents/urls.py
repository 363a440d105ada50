"""Incidents pages at /incidents/: each area's view module lists its own routes."""

from pillars.incidents.views import behavior, incidents, restraint, safety

app_name = "incidents"

urlpatterns: list = [
    *behavior.urlpatterns,
    *incidents.urlpatterns,
    *restraint.urlpatterns,
    *safety.urlpatterns,
]
