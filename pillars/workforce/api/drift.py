"""Workforce in the JSON API: drift."""

from ninja import Router

router = Router(tags=["workforce"])
