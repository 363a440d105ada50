"""The home page is a stack of panels; each app registers the panels that show a role its first
jobs (DESIGN.md "Who uses it"). Later modules add theirs the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from pillars.core.policy import Actor


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    roles: frozenset[str]
    context: Callable[[HttpRequest, Actor], dict[str, Any]]
    order: int = 100


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(actor: Actor) -> list[Panel]:
    return sorted(
        (p for p in _panels.values() if p.roles & actor.roles), key=lambda p: (p.order, p.key)
    )
