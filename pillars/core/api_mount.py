"""One app's JSON API is one router per area, mounted together at the root of /api/v1/."""

from __future__ import annotations

from ninja import Router


def mounted(*routers: Router) -> Router:
    """A router with each area's router mounted at its root, in the order given (the order of
    the OpenAPI document's paths)."""
    router = Router()
    for area in routers:
        router.add_router("", area)
    return router
