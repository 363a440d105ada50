"""Pages of the encounters area."""

from __future__ import annotations

urlpatterns: list = []
