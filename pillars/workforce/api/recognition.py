"""Workforce in the JSON API: recognition."""

from ninja import Router

router = Router(tags=["workforce"])
