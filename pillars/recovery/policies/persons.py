"""What every recovery record about a person served shares in the policy layer: it is visible
exactly when its person is (people.policies: the person's scope; an organization-wide actor sees
them all), and writing it needs the ordinary scope, not an emergency grant alone."""

from __future__ import annotations

from typing import Any

from pillars.core.policy import Actor
from pillars.core.policy_shared import checked_writes
from pillars.people.models import PersonServed
from pillars.people.policies import register_person_scope, writes_in_ordinary_scope
from pillars.recovery.models.plans import GoalProgress, GoalStep

# register_person_scope moved to people.policies; the recovery policies import it from here.
__all__ = ["not_emergency_only", "person_of", "person_write", "register_person_scope"]


def person_of(obj: Any) -> PersonServed | None:
    """The person served a recovery record is about."""
    if isinstance(obj, PersonServed):
        return obj
    if isinstance(obj, GoalStep | GoalProgress):
        return obj.goal.person
    person = getattr(obj, "person", None)
    return person if isinstance(person, PersonServed) else None


def not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Emergency access is for reading: writing needs the ordinary scope."""
    return writes_in_ordinary_scope(actor, person_of(obj))


# A write about a person served, refused to an actor who sees the person only through an
# emergency grant (``not_emergency_only``).
person_write = checked_writes(not_emergency_only)
