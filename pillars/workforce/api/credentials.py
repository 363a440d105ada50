"""Workforce in the JSON API: credentials."""

from ninja import Router

router = Router(tags=["workforce"])
