"""The scope every recovery record about a person served shares: it is visible exactly when its
person is (people.policies: the person's scope), and an organization-wide actor sees them all."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db import models
from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor
from pillars.people.policies import person_scope_q, person_visible


def register_person_scope(model: type[models.Model], path: str = "person") -> None:
    """Register ``model``'s scope as its person's; ``path`` leads from a record to the person
    served (``goal__person`` for a goal's step)."""
    person_of = attrgetter(path.replace("__", "."))

    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if actor.is_org_wide else qs.filter(person_scope_q(actor, path))

    policy.register_scope(
        model, visible=lambda a, o: person_visible(a, person_of(o)), restrict=restrict
    )
