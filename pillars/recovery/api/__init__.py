"""Recovery in the JSON API: one router per area, mounted together under /api/v1/."""

from pillars.core.api_mount import mounted
from pillars.recovery.api import capital, directory, encounters, matching, plans, referrals

router = mounted(
    encounters.router,
    plans.router,
    capital.router,
    directory.router,
    matching.router,
    referrals.router,
)
