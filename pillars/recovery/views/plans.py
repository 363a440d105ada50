"""Pages of the plans area."""

from __future__ import annotations

urlpatterns: list = []
