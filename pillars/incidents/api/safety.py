"""The safety area in the JSON API."""

from ninja import Router

router = Router(tags=["safety"])
