"""Every route of the project, for the tests that must cover them all."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# The Django admin is reference data only; its writes are audited by its ModelAdmin hooks and
# it is covered by its own tests.
SKIPPED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern when unnamed
    pattern: str
    callback: Any


def walk(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from walk(
                entry.url_patterns, prefix + str(entry.pattern), f"{ns}" if ns else namespace
            )
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or full)
            yield Route(name, full, entry.callback)


def page_routes() -> list[Route]:
    return [r for r in walk() if not r.pattern.startswith("api/")]


def api_routes() -> list[Route]:
    return [r for r in walk() if r.pattern.startswith("api/")]


# Routes no session cookie signs in: the bearer-token ones (the FHIR bulk export; the API is
# api_routes) and the benchmark's baselines (mounted only with PILLARS_BENCH, never in production).
TOKENLESS = ("fhir/", "bench/")
EXAMPLE_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}


def example_url(pattern: str) -> str:
    """A URL the route's pattern matches, each converter filled with a value of its kind."""
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: EXAMPLE_VALUES[m.group(1) or "str"], pattern)


def session_routes() -> list[Route]:
    """The page routes a signed-in browser reaches with its session cookie."""
    return [r for r in page_routes() if not r.pattern.startswith(TOKENLESS)]
