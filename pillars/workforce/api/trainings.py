"""Workforce in the JSON API: trainings."""

from ninja import Router

router = Router(tags=["workforce"])
