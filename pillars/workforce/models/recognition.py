"""Workforce models: recognition."""

from __future__ import annotations

__all__: list[str] = []
