"""The one registry of hooks the people app offers the apps above it, so that it never imports
them. Each hook point has a name, a kind and typed helpers to register and to call:

- **Staff changes** (``STAFF_CHANGED``, listeners). ``create_staff`` and ``set_roles`` call
  ``staff_changed`` inside their transaction; an app that must act on a hire or a change of roles
  (workforce assigns the trainings a role requires) registers a listener at ready().
- **Supervisor checks** (``SUPERVISOR_CHECK``, checks). When a supervisor is chosen, people asks
  every check (workforce: who may supervise whom, supervisor load limits) with the staff member
  supervised (None while being created), the supervisor and the staff member's role codes; each
  answers an error message, or "" when the choice is fine.
- **The floor gate** (``FLOOR_CHECK`` and ``FLOOR_RECORD``, one each). rounds (1:1 coverage),
  incidents (restraint team) and recovery (billable peer services) ask ``floor_gate`` whether a
  staff member may take a floor task, and their forms ask ``floor_notes`` for every choice at
  once, to say why before anyone submits; workforce installs the checker (credentials and
  trainings against its floor rules) and the recorder of the warnings it lets through. With no
  checker installed every task is allowed.

Registration happens at ready(); registering the same callable twice keeps one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

STAFF_HIRED = "hired"
ROLES_CHANGED = "roles_changed"


class HookPoint(models.TextChoices):
    """The registry's hook points. A ``single`` point keeps the last callable installed."""

    STAFF_CHANGED = "staff_changed", "A hire or a change of roles"
    SUPERVISOR_CHECK = "supervisor_check", "The choice of a supervisor"
    FLOOR_CHECK = "floor_check", "Whether staff may take a floor task"
    FLOOR_RECORD = "floor_record", "The warnings the floor gate let through"


SINGLE = frozenset({HookPoint.FLOOR_CHECK, HookPoint.FLOOR_RECORD})

_registry: dict[str, list[Callable[..., Any]]] = {point: [] for point in HookPoint.values}


def register(point: HookPoint, hook: Callable[..., Any]) -> None:
    """Add ``hook`` at ``point`` (once; a single point replaces what it held)."""
    held = _registry[point]
    if point in SINGLE:
        held[:] = [hook]
    elif hook not in held:
        held.append(hook)


def registered(point: HookPoint) -> list[Callable[..., Any]]:
    return list(_registry[point])


# --- Staff changes --------------------------------------------------------------------------

StaffListener = Callable[[Any, str, Any], None]


def on_staff_changed(listener: StaffListener) -> None:
    """Register ``listener(staff, event, actor)``."""
    register(HookPoint.STAFF_CHANGED, listener)


def staff_changed(staff: Any, *, event: str, actor: Any) -> None:
    """Tell every listener (inside the caller's transaction: a listener that fails rolls the
    change back, so a hire never lands without its trainings)."""
    for listener in _registry[HookPoint.STAFF_CHANGED]:
        listener(staff, event, actor)


# --- Supervisor checks ----------------------------------------------------------------------

SupervisorCheck = Callable[[Any, Any, list[str]], str]


def add_supervisor_check(check: SupervisorCheck) -> None:
    """Register ``check(staff_or_None, supervisor, role_codes) -> message or ""``."""
    register(HookPoint.SUPERVISOR_CHECK, check)


def supervisor_errors(staff: Any, supervisor: Any, role_codes: list[str]) -> list[str]:
    """Every registered check's message about this choice of supervisor."""
    return [
        message
        for check in _registry[HookPoint.SUPERVISOR_CHECK]
        if (message := check(staff, supervisor, role_codes))
    ]


# --- The floor gate -------------------------------------------------------------------------


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


# checker(staff_list, task) -> {staff pk: problems}; recorder(staff, task, warnings, subject)
FloorChecker = Callable[[list[Any], str], dict[int, list[FloorProblem]]]
FloorRecorder = Callable[[Any, str, list[FloorProblem], Any], None]


def set_floor_gate(*, checker: FloorChecker, recorder: FloorRecorder) -> None:
    register(HookPoint.FLOOR_CHECK, checker)
    register(HookPoint.FLOOR_RECORD, recorder)


def _checker() -> FloorChecker | None:
    held = _registry[HookPoint.FLOOR_CHECK]
    return held[0] if held else None


def floor_problems(staff: Any, task: str) -> list[FloorProblem]:
    """Every problem the installed checker finds for ``staff`` taking ``task``."""
    checker = _checker()
    return [] if checker is None else checker([staff], task).get(staff.pk, [])


def floor_warnings(staff: Any, task: str) -> list[str]:
    """The reasons the gate lets ``staff`` take ``task`` with a warning (shown after a write
    went through, in the page's message or the API's answer)."""
    return [p.reason for p in floor_problems(staff, task) if not p.blocks]


@dataclass
class FloorNotes:
    """What the floor gate says about every choice on a form, read at once (one set of queries
    for the whole list): shown beside the choices before anyone submits."""

    task: str
    problems: dict[int, list[FloorProblem]] = field(default_factory=dict)
    note: str = ""  # what the task covers, when the page must say it (billing only)

    def of(self, staff: Any) -> list[FloorProblem]:
        return self.problems.get(staff.pk, [])

    def label(self, staff: Any) -> str:
        """The choice's label: the name, then "cannot take this" or "warning" in words."""
        mine = self.of(staff)
        if any(p.blocks for p in mine):
            return f"{staff.display_name} (not allowed: see why below)"
        if mine:
            return f"{staff.display_name} (allowed with a warning: see below)"
        return str(staff.display_name)

    def lines(self) -> list[FloorProblem]:
        """Every problem, blocking first, for the list under the choices."""
        found = [p for problems in self.problems.values() for p in problems]
        return sorted(found, key=lambda p: (not p.blocks, p.reason))

    def __bool__(self) -> bool:
        return any(self.problems.values())

    def label_field(self, form_field: Any) -> None:
        """Label a model choice field's options with what the gate says."""
        form_field.label_from_instance = self.label


def floor_notes(staff: Iterable[Any], task: str) -> FloorNotes:
    """The floor gate's problems for each of ``staff`` taking ``task`` (empty when no checker
    is installed)."""
    checker = _checker()
    chosen = list(staff)
    if checker is None or not chosen:
        return FloorNotes(task)
    return FloorNotes(task, {pk: found for pk, found in checker(chosen, task).items() if found})


def floor_gate(staff: Any, task: str, *, subject: Any = None) -> str | None:
    """The reason ``staff`` may not take ``task`` (the blocking problems, joined), or None.
    Warnings let the task through and are recorded (with ``subject``, the record the task is
    about) by the installed recorder."""
    problems = floor_problems(staff, task)
    if (blocked := floor_blocked(problems)) is not None:
        return blocked
    record_floor_warnings(staff, task, problems, subject=subject)
    return None


def floor_blocked(problems: list[FloorProblem]) -> str | None:
    """The blocking problems among ``problems``, joined, or None when none blocks."""
    blocking = [p.reason for p in problems if p.blocks]
    return " ".join(blocking) if blocking else None


def record_floor_warnings(
    staff: Any, task: str, problems: list[FloorProblem], *, subject: Any = None
) -> None:
    """Record the warnings among ``problems`` with the installed recorder. A write that checks
    first (``floor_problems``, ``floor_blocked``) and writes later calls this inside its own
    transaction, so a write that then fails leaves no warning behind."""
    warnings = [p for p in problems if not p.blocks]
    recorders = _registry[HookPoint.FLOOR_RECORD]
    if warnings and recorders:
        recorders[0](staff, task, warnings, subject)
