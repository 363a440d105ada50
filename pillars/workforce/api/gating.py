"""Workforce in the JSON API: gating."""

from ninja import Router

router = Router(tags=["workforce"])
