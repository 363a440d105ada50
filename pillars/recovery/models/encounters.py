"""The recovery app's encounters area."""

from __future__ import annotations

__all__: list[str] = []
