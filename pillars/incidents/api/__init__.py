"""Incidents in the JSON API: one router per area, mounted together under /api/v1/."""

from ninja import Router

from pillars.incidents.api import behavior, incidents, restraint, safety

router = Router()
router.add_router("", behavior.router)
router.add_router("", incidents.router)
router.add_router("", restraint.router)
router.add_router("", safety.router)
