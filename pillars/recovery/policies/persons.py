"""What every recovery record about a person served shares in the policy layer: it is visible
exactly when its person is (people.policies: the person's scope; an organization-wide actor sees
them all), and writing it needs the ordinary scope, not an emergency grant alone."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db import models
from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, Rule, rule
from pillars.people.models import PersonServed
from pillars.people.policies import person_scope_q, person_visible, writes_in_ordinary_scope
from pillars.recovery.models.plans import GoalProgress, GoalStep


def register_person_scope(model: type[models.Model], path: str = "person") -> None:
    """Register ``model``'s scope as its person's; ``path`` leads from a record to the person
    served (``goal__person`` for a goal's step)."""
    person_of = attrgetter(path.replace("__", "."))

    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if actor.is_org_wide else qs.filter(person_scope_q(actor, path))

    policy.register_scope(
        model, visible=lambda a, o: person_visible(a, person_of(o)), restrict=restrict
    )


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


def person_write(*roles: str, description: str) -> Rule:
    """A write about a person served, for ``roles``: refused to an actor who sees the person
    only through an emergency grant (``not_emergency_only``)."""
    return rule(*roles, check=not_emergency_only, scope="write", description=description)
