"""Workforce in the JSON API: wellbeing."""

from ninja import Router

router = Router(tags=["workforce"])
