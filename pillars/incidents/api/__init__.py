"""Incidents in the JSON API: one router per area, mounted together under /api/v1/."""

from pillars.core.api_mount import mounted
from pillars.incidents.api import behavior, incidents, restraint, safety

router = mounted(behavior.router, incidents.router, restraint.router, safety.router)
