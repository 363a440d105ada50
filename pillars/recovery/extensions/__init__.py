"""What the recovery areas add to other apps' pages (each module's ``install``)."""

from __future__ import annotations

from typing import Any

from pillars.audit.choices import Category
from pillars.people.sections import PersonSection, SectionContext, register_section


def register_mixed_section(
    key: str,
    template: str,
    context: SectionContext,
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
