"""Every view says whether it is audited or exempt (and why); a test enforces it.

``@audited("...")`` marks a view whose reads and writes of protected information go through
selectors and services that write audit events. ``@audit_exempt("...")`` marks a view that touches
no protected information, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def audited(what: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view.audit_declaration = ("audited", what)  # type: ignore[attr-defined]
        return view

    return mark


def audit_exempt(reason: str) -> Callable[[F], F]:
    if not reason.strip():
        raise ValueError("an audit exemption needs a reason")

    def mark(view: F) -> F:
        view.audit_declaration = ("exempt", reason)  # type: ignore[attr-defined]
        return view

    return mark


def declaration_of(view: Any) -> tuple[str, str] | None:
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        if candidate is not None and hasattr(candidate, "audit_declaration"):
            return candidate.audit_declaration
    return None
