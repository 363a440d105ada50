"""One page of an API list, answered as the list's page schema.

A paginated list answers ``{"items": [...], "next_cursor": ...}``. Each list declares its own page
schema (its OpenAPI name and item schema) on ``PageOut``; ``XPage.of(page)`` reads every row of a
``pillars.core.pagination.Page`` with the item schema's ``of`` and carries the cursor over.
"""

from __future__ import annotations

from typing import Any, Self, get_args

from ninja import Schema

from pillars.core.pagination import Page


class PageOut(Schema):
    """The base of a list's page schema: a subclass declares ``items: list[ItemOut]`` and
    ``next_cursor: str | None`` (its OpenAPI description is its own docstring, not this one)."""

    @classmethod
    def of(cls, page: Page[Any], **extra: Any) -> Self:
        """The page's rows read by the item schema (``ItemOut.of(row, **extra)``), with its
        cursor."""
        item = get_args(cls.model_fields["items"].annotation)[0]
        items = [item.of(row, **extra) for row in page.items]
        return cls.model_validate({"items": items, "next_cursor": page.next_cursor})


__all__ = ["PageOut"]
