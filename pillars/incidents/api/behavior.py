"""The behavior area in the JSON API."""

from ninja import Router

router = Router(tags=["behavior"])
