"""Workforce models: trainings."""

from __future__ import annotations

__all__: list[str] = []
