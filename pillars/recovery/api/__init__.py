"""Recovery in the JSON API: one router per area, mounted together under /api/v1/."""

from ninja import Router

from pillars.recovery.api import capital, directory, encounters, matching, plans, referrals

router = Router()
router.add_router("", encounters.router)
router.add_router("", plans.router)
router.add_router("", capital.router)
router.add_router("", directory.router)
router.add_router("", matching.router)
router.add_router("", referrals.router)
