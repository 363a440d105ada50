"""Workforce in the JSON API: ladder."""

from ninja import Router

router = Router(tags=["workforce"])
