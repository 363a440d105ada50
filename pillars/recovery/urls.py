"""Recovery pages at /recovery/: each area's view module lists its own routes."""

from pillars.recovery.views import (
    capital,
    directory,
    encounters,
    matching,
    plans,
    portal,
    referrals,
)

app_name = "recovery"

urlpatterns: list = [
    *encounters.urlpatterns,
    *plans.urlpatterns,
    *capital.urlpatterns,
    *directory.urlpatterns,
    *matching.urlpatterns,
    *referrals.urlpatterns,
    *portal.urlpatterns,
]
