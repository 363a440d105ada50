"""Workforce in the JSON API: caseloads."""

from ninja import Router

router = Router(tags=["workforce"])
