"""Observation levels as data (DESIGN.md rule 8): adding a level, and the validation that
adding and changing (``orders.change_level``) share.

A level is never edited in place: a change makes its next version, so orders and their checks
keep the rules they were made under.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Max

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.writes import atomic_or_conflict
from pillars.rounds.models import ObservationLevel

LEVEL_FIELDS = (
    "name",
    "interval_minutes",
    "grace_factor",
    "due_window_minutes",
    "staff_ratio",
    "is_line_of_sight",
    "requires_presence_proof",
    "sort_order",
)

# Slug-like: what devices and reports name a level by ("q15", "one-to-one").
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_INTERVAL = 240
MAX_NAME = 100


def _whole(value: Any) -> int | None:
    """An int that is really an int (a bool is not a number of minutes)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def clean_level_values(values: dict[str, Any]) -> dict[str, Any]:
    """Check a complete set of level values; return them normalized or raise ValidationError
    with every field's problem at once, before anything is stored.

    The grace is 1 to 3 intervals: the common vendor rule is 1.5 (22.5 minutes for q15,
    DESIGN.md facts), and below one interval a check would be missed before it was due."""
    errors: dict[str, list[str]] = {}
    out = dict(values)
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = ["This field is required."]
    elif len(name) > MAX_NAME:
        errors["name"] = [f"A name is at most {MAX_NAME} characters."]
    out["name"] = name
    interval = _whole(values.get("interval_minutes"))
    if interval is None or not 1 <= interval <= MAX_INTERVAL:
        errors["interval_minutes"] = [f"An interval is 1 to {MAX_INTERVAL} minutes."]
    try:
        grace = Decimal(str(values.get("grace_factor")))
        grace_ok = grace.is_finite() and Decimal(1) <= grace <= Decimal(3)
        grace_ok = grace_ok and grace == grace.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        grace, grace_ok = Decimal(0), False
    if not grace_ok:
        errors["grace_factor"] = [
            "The grace is 1 to 3 intervals, to two decimals (1.5 is the common rule)."
        ]
    out["grace_factor"] = grace
    window = _whole(values.get("due_window_minutes"))
    if window is None or window < 0 or (interval is not None and window >= interval):
        errors["due_window_minutes"] = [
            "The due window is 0 minutes or more, and shorter than the interval."
        ]
    if values.get("staff_ratio") not in (0, 1, 2) or isinstance(values.get("staff_ratio"), bool):
        errors["staff_ratio"] = ["Staff ratio is 0, 1 (1:1) or 2 (2:1)."]
    if not isinstance(values.get("is_line_of_sight"), bool):
        errors["is_line_of_sight"] = ["Say whether the person stays in sight."]
    if not isinstance(values.get("requires_presence_proof", False), bool):
        errors["requires_presence_proof"] = ["Say yes or no."]
    out["requires_presence_proof"] = bool(values.get("requires_presence_proof", False))
    order = _whole(values.get("sort_order"))
    if order is None or not 0 <= order <= 32767:
        errors["sort_order"] = ["The place in the list is a number from 0 to 32767."]
    if errors:
        raise ValidationError(errors)
    return out


def add_level(
    *,
    actor: Any,
    code: str,
    name: str,
    interval_minutes: int,
    grace_factor: Decimal | float | str = Decimal("1.50"),
    due_window_minutes: int = 2,
    staff_ratio: int = 0,
    is_line_of_sight: bool = False,
    requires_presence_proof: bool = False,
    sort_order: int | None = None,
) -> ObservationLevel:
    """Add a new observation level (version 1). Its code is new: a code names one level for
    good, across all its versions, so reports and devices never confuse two levels."""
    policy.require(actor, "rounds.manage_levels")
    code = (code or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = [
            "A code is 1 to 32 lowercase letters, digits or hyphens, starting with a letter "
            "or digit (for example q10)."
        ]
    elif ObservationLevel.objects.filter(code=code).exists():
        errors["code"] = ["A level with this code already exists; change that level instead."]
    if sort_order is None:
        last = ObservationLevel.objects.aggregate(last=Max("sort_order"))["last"] or 0
        sort_order = min(last + 10, 32767)
    values = {
        "name": name,
        "interval_minutes": interval_minutes,
        "grace_factor": grace_factor,
        "due_window_minutes": due_window_minutes,
        "staff_ratio": staff_ratio,
        "is_line_of_sight": is_line_of_sight,
        "requires_presence_proof": requires_presence_proof,
        "sort_order": sort_order,
    }
    try:
        values = clean_level_values(values)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    with atomic_or_conflict("A level with this code was added a moment ago; reload."):
        level = ObservationLevel.objects.create(
            code=code, version=1, is_current=True, created_at=clock.now(), **values
        )
        audit.record(
            actor,
            Action.CREATE,
            level,
            purpose=Purpose.ADMINISTRATION,
            detail={
                "code": code,
                "version": 1,
                **audit.changes(None, audit.snapshot(level, list(LEVEL_FIELDS))),
            },
        )
    return level
