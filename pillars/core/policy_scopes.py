"""Scopes that several apps give their models."""

from __future__ import annotations

from typing import Any

from django.db import models

from pillars.core import policy


def register_reference_data(*reference: type[models.Model]) -> None:
    """Give reference data (no person served, no staff record) a scope anyone signed in passes:
    they may know every row exists, and the actions decide who reads and who changes it."""
    for model in reference:
        policy.register_scope(model, visible=_anyone, restrict=_every_row)


def _anyone(actor: policy.Actor, obj: Any) -> bool:
    return True


def _every_row(actor: policy.Actor, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return qs
