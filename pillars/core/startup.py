"""What a server process does once, as it starts, so that its first request is not the slow one."""

from __future__ import annotations

from django.urls import reverse


def warm_up() -> None:
    """Import every route's view and build the API, by resolving one address: Django does it on
    a process's first request otherwise, and the first person served by each server process
    after a start waited about 1.5 s more for it (measured in-process: 1.54 s for the first
    page, 0.12 s once warmed)."""
    reverse("core:home")
