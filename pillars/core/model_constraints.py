"""Constraints many models declare alike: a unique constraint within each organization, a record
that stays open until an end is set (at most one open row per parent, in each organization), an
end that never comes before its start, and a text that must be given unless a condition holds.
Each model passes its existing constraint names, so the database keeps the same constraints."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.db.models import Q


def unique_in_organization(
    *fields: str, name: str, condition: Q | None = None
) -> models.BaseConstraint:
    """``fields`` are unique within each organization (a tenant table's unique constraints all
    name ``organization``, last: see ``people.tenancy``); with ``condition``, among those rows."""
    return models.UniqueConstraint(fields=[*fields, "organization"], condition=condition, name=name)


def one_open(
    per: str | Sequence[str], *, end: str = "ended_at", name: str
) -> models.BaseConstraint:
    """At most one row per ``per`` (a field or fields) in each organization while ``end`` is
    not set."""
    fields = [per] if isinstance(per, str) else list(per)
    return unique_in_organization(*fields, condition=Q(**{f"{end}__isnull": True}), name=name)


def ends_after(end: str, start: str, *, name: str, or_same: bool = False) -> models.BaseConstraint:
    """``end``, once set, comes after ``start`` (or at the same moment, with ``or_same``)."""
    lookup = "gte" if or_same else "gt"
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__{lookup}": models.F(start)}),
        name=name,
    )


def open_stretch_constraints(
    one_open_per: str, *, one_open_name: str, ends_after_name: str
) -> list[models.BaseConstraint]:
    """The two constraints of a record that runs from ``started_at`` until ``ended_at``: at most
    one open row per ``one_open_per`` (in each organization), and an end never before the start.
    The names are each model's existing constraint names."""
    return [
        one_open(one_open_per, name=one_open_name),
        ends_after("ended_at", "started_at", name=ends_after_name, or_same=True),
    ]


def filled_unless(text_field: str, unless: Q, *, name: str) -> models.BaseConstraint:
    """``text_field`` is not blank unless ``unless`` holds: a late entry says why it is late,
    an exit gives its reason, a failed item says what is wrong."""
    return models.CheckConstraint(condition=unless | ~Q(**{text_field: ""}), name=name)
