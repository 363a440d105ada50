"""The recovery app's directory area."""

from __future__ import annotations

__all__: list[str] = []
