"""Hooks the people app offers the apps above it, so that it never imports them.

- **Staff changes.** ``create_staff`` and ``set_roles`` call ``staff_changed`` inside their
  transaction; an app that must act on a hire or a change of roles (workforce assigns the
  trainings a role requires) registers a listener at ready().
- **The floor gate.** rounds (1:1 coverage), incidents (restraint team) and recovery (billable
  peer services) ask ``floor_gate`` whether a staff member may take a floor task; workforce
  registers the checker (credentials and trainings against its floor rules) and the recorder of
  the warnings it lets through. With no checker installed every task is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

STAFF_HIRED = "hired"
ROLES_CHANGED = "roles_changed"


class FloorTask(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "1:1 or 2:1 observation coverage"
    RESTRAINT_TEAM = "restraint_team", "Restraint or seclusion team member"
    BILLABLE_PEER_SERVICE = "billable_peer_service", "Billable peer service"


@dataclass(frozen=True)
class FloorProblem:
    """Why a staff member should not take a task: ``effect`` is "block" or "warn"; ``reason``
    names the lapsed or missing credential or training in plain words."""

    task: str
    effect: str
    reason: str
    requirement: str = ""

    @property
    def blocks(self) -> bool:
        return self.effect == "block"


StaffListener = Callable[[Any, str, Any], None]
FloorChecker = Callable[[Any, str], list[FloorProblem]]
FloorRecorder = Callable[[Any, str, list[FloorProblem], Any], None]

_staff_listeners: list[StaffListener] = []
_floor_checker: FloorChecker | None = None
_floor_recorder: FloorRecorder | None = None


def on_staff_changed(listener: StaffListener) -> None:
    """Register ``listener(staff, event, actor)``; once per listener."""
    if listener not in _staff_listeners:
        _staff_listeners.append(listener)


def staff_changed(staff: Any, *, event: str, actor: Any) -> None:
    """Tell every listener (inside the caller's transaction: a listener that fails rolls the
    change back, so a hire never lands without its trainings)."""
    for listener in _staff_listeners:
        listener(staff, event, actor)


def set_floor_gate(*, checker: FloorChecker, recorder: FloorRecorder) -> None:
    global _floor_checker, _floor_recorder
    _floor_checker, _floor_recorder = checker, recorder


def floor_problems(staff: Any, task: str) -> list[FloorProblem]:
    """Every problem the installed checker finds for ``staff`` taking ``task``."""
    return [] if _floor_checker is None else _floor_checker(staff, task)


def floor_gate(staff: Any, task: str, *, subject: Any = None) -> str | None:
    """The reason ``staff`` may not take ``task`` (the blocking problems, joined), or None.
    Warnings let the task through and are recorded (with ``subject``, the record the task is
    about) by the installed recorder."""
    problems = floor_problems(staff, task)
    blocking = [p.reason for p in problems if p.blocks]
    if blocking:
        return " ".join(blocking)
    warnings = [p for p in problems if not p.blocks]
    if warnings and _floor_recorder is not None:
        _floor_recorder(staff, task, warnings, subject)
    return None
