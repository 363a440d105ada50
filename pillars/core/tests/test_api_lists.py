"""PageOut: a list's page read row by row by its item schema, with the cursor carried over."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from pillars.core.api_lists import PageOut
from pillars.core.pagination import Page


class _Row:
    def __init__(self, name: str) -> None:
        self.name = name


class _ItemOut(Schema):
    name: str
    note: str

    @classmethod
    def of(cls, row: _Row, *, note: str = "plain") -> _ItemOut:
        return cls(name=row.name, note=note)


class _ItemPage(PageOut):
    items: list[_ItemOut]
    next_cursor: str | None


def test_each_row_is_read_by_the_item_schema_and_the_cursor_is_kept() -> None:
    page: Page[Any] = Page(items=[_Row("a"), _Row("b")], next_cursor="next")
    answer = _ItemPage.of(page)
    assert answer.model_dump() == {
        "items": [{"name": "a", "note": "plain"}, {"name": "b", "note": "plain"}],
        "next_cursor": "next",
    }


def test_extra_arguments_reach_the_item_schema() -> None:
    page: Page[Any] = Page(items=[_Row("a")], next_cursor=None)
    assert _ItemPage.of(page, note="short").model_dump() == {
        "items": [{"name": "a", "note": "short"}],
        "next_cursor": None,
    }


def test_the_base_docstring_is_not_a_page_description() -> None:
    assert "description" not in _ItemPage.model_json_schema()
