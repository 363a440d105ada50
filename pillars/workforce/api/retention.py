"""Workforce in the JSON API: retention."""

from ninja import Router

router = Router(tags=["workforce"])
