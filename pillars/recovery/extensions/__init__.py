"""What the recovery areas add to other apps' pages (each module's ``install``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from pillars.audit.choices import Category
from pillars.people.models import PersonServed
from pillars.people.sections import PersonSection, register_section


def register_mixed_section(
    key: str,
    template: str,
    context: Callable[[HttpRequest, PersonServed, dict[str, Any]], dict[str, Any] | None],
    *,
    order: int,
    group: str,
    **options: Any,
) -> None:
    """Register a person-page section of recovery records. Mixed records: the label guard
    filters each record (people.labels), so a record made outside a Part 2 program stays
    visible to the team that may read it; the section as a whole is general."""
    register_section(
        PersonSection(
            key, template, context, order=order, category=Category.GENERAL, group=group, **options
        )
    )
