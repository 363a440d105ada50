"""The recovery app's matching area."""

from __future__ import annotations

__all__: list[str] = []
