"""Workforce models: caseloads."""

from __future__ import annotations

__all__: list[str] = []
