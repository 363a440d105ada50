"""Pages of the capital area."""

from __future__ import annotations

urlpatterns: list = []
