"""Workforce in the JSON API: supervision."""

from ninja import Router

router = Router(tags=["workforce"])
