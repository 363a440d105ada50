"""Lines ``pillars serve`` prints under its address when it starts.

Core imports no domain app (test_import_walls): an app with something to say at start-up (the
demo app: its sign-ins) registers a callable from its ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable

BannerLines = Callable[[], list[str]]

_sources: list[BannerLines] = []


def register(source: BannerLines) -> None:
    """Add a source of start-up lines (once per process; a second registration is ignored)."""
    if source not in _sources:
        _sources.append(source)


def lines() -> list[str]:
    """Every registered source's lines, in registration order."""
    return [line for source in _sources for line in source()]
