"""Reading a list of codes a form or an API body names against a table of choices an
administrator keeps (de-escalation steps, peer activities): each row has a unique ``code`` and
an ``is_active`` flag, and a retired row is no longer offered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pillars.core.errors import invalid


def active_by_code(model: Any, codes: Iterable[str], *, field: str, unknown: str) -> list[Any]:
    """The active rows of ``model`` these codes name, each once, in the order given. A code that
    names no active row is refused on ``field``: ``unknown`` with ``{codes}`` standing for the
    codes refused."""
    wanted = list(dict.fromkeys(codes))
    found = {row.code: row for row in model.objects.filter(code__in=wanted, is_active=True)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise invalid(field, unknown.format(codes=", ".join(missing)))
    return [found[c] for c in wanted]
