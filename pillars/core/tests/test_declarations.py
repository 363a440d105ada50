"""Every view declares itself audited or exempt with a reason (issue: audit log)."""

from __future__ import annotations

from pillars.core.declare import declaration_of
from pillars.core.tests.routes import walk


def _callbacks(callback: object) -> list[object]:
    """A ninja route's callback is the path view; its operations hold the real handlers."""
    owner = getattr(callback, "__self__", None)
    operations = getattr(owner, "operations", None)
    if operations:
        return [op.view_func for op in operations]
    return [callback]


def test_every_view_declares_audited_or_exempt() -> None:
    undeclared = []
    for route in walk():
        for view in _callbacks(route.callback):
            declared = declaration_of(view)
            if declared is None or not declared[1].strip():
                undeclared.append(f"{route.name} ({route.pattern}): {view!r}")
    assert not undeclared, "views without @audited/@audit_exempt:\n" + "\n".join(undeclared)


def test_declarations_say_something() -> None:
    kinds = {
        declared[0]
        for route in walk()
        for view in _callbacks(route.callback)
        if (declared := declaration_of(view)) is not None
    }
    assert kinds <= {"audited", "exempt"}
