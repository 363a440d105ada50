"""Workforce models: drift."""

from __future__ import annotations

__all__: list[str] = []
