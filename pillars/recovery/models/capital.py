"""The recovery app's capital area."""

from __future__ import annotations

__all__: list[str] = []
