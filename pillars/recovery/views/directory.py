"""Pages of the directory area."""

from __future__ import annotations

urlpatterns: list = []
