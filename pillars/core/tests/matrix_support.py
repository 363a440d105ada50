"""Shared pieces of the permission matrix.

The matrix lives in ``pillars/core/tests/test_matrix.py`` for the foundation's routes and in
``pillars/<app>/tests/matrix_<area>.py`` modules for each area. Such a module defines ``PAGES``
and ``API`` (dicts of route name or "METHOD /path" to ``Case``) and may define
``fixtures(world, extra)`` that adds the records its cases name to ``extra`` and
``fuzz_ids(world)`` giving API path prefixes to real public ids for the fuzz run.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pillars.people.testing import World

WHO = [
    "bht",
    "nurse",
    "clinician",
    "peer",
    "supervisor",
    "director",
    "privacy",
    "admin",
    "outsider",
    "anon",
]


@dataclass(frozen=True)
class Case:
    method: str
    expect: str  # one code per entry of WHO, space-separated
    kwargs: Callable[[World, dict[str, Any]], dict[str, Any]] | None = None
    body: Callable[[World, str], dict[str, Any]] | None = None

    def codes(self) -> dict[str, str]:
        codes = self.expect.split()
        assert len(codes) == len(WHO), f"{self.expect!r} needs {len(WHO)} codes"
        return dict(zip(WHO, codes, strict=True))


def area_modules() -> list[ModuleType]:
    """Every ``pillars.<app>.tests.matrix_*`` module, in a fixed order."""
    import pillars

    found = []
    for app in sorted(m.name for m in pkgutil.iter_modules(pillars.__path__) if m.ispkg):
        try:
            tests = importlib.import_module(f"pillars.{app}.tests")
        except ModuleNotFoundError:
            continue
        for module in sorted(pkgutil.iter_modules(tests.__path__), key=lambda m: m.name):
            if module.name.startswith("matrix_"):
                found.append(importlib.import_module(f"pillars.{app}.tests.{module.name}"))
    return found


def merged(attribute: str, base: dict[str, Case]) -> dict[str, Case]:
    cases = dict(base)
    for module in area_modules():
        for key, case in getattr(module, attribute, {}).items():
            assert key not in cases, f"{key} is in the matrix twice ({module.__name__})"
            cases[key] = case
    return cases


def area_fixtures(world: World, extra: dict[str, Any]) -> None:
    for module in area_modules():
        if hasattr(module, "fixtures"):
            module.fixtures(world, extra)


def area_fuzz_ids(world: World) -> dict[str, str]:
    ids: dict[str, str] = {}
    for module in area_modules():
        if hasattr(module, "fuzz_ids"):
            ids.update(module.fuzz_ids(world))
    return ids
