"""Small steps that many reads take the same way."""

from __future__ import annotations

from typing import Any


def choice_label(choices: Any, value: str) -> str:
    """The label of a stored choice; a value no longer among ``choices`` is shown as it is."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
