"""Rules that several actions of an app's table share: the same record check on a write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pillars.core.policy import Actor, Rule, rule


class WriteRule(Protocol):
    def __call__(self, *roles: str, description: str = "") -> Rule: ...


def checked_writes(check: Callable[[Actor, Any], bool]) -> WriteRule:
    """A maker of write rules (the "write" token scope) that all need ``check`` for the record."""

    def write(*roles: str, description: str = "") -> Rule:
        return rule(*roles, check=check, scope="write", description=description)

    return write
