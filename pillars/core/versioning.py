"""Rules kept as versioned data: observation levels, restraint rule profiles, inspection
templates.

A rule is never edited in place: records made under it (orders and their checks, restraint
episodes, answered inspections) point at the version they were made under and keep its meaning
(DESIGN.md "rules are data"). A change makes the next version and retires the current one.
``VersionedRule`` holds the three fields every such model shares; each model keeps its own
constraints in its ``Meta`` (``versioned_constraints`` builds the two every one needs), and
``next_version`` is the one way a service writes the next version.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock
from pillars.core.errors import Conflict, invalid

STALE = "This was changed a moment ago; reload and try again."

# Never copied from the old version: the row's own identity and the versioning fields.
_NOT_COPIED = {"id", "public_id", "code", "version", "is_current"}


class VersionedRule(models.Model):
    """One version of a rule kept as data: ``code`` names the rule across versions, ``version``
    counts from 1, and exactly one version per code is current."""

    code = models.SlugField(max_length=32)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)

    class Meta:
        abstract = True


def versioned_constraints(*, version_name: str, current_name: str) -> list[models.BaseConstraint]:
    """The two constraints every versioned rule needs: one row per (code, version), and one
    current version per code (the database refuses a second, whatever the services do). The
    names are each model's existing constraint names."""
    return [
        models.UniqueConstraint(fields=["code", "version"], name=version_name),
        models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name=current_name),
    ]


# Asked before each next version is written, with the actor and the rule's model: core knows no
# organizations, so people installs it (``set_guard``): a rule every organization shares is
# changed only by whoever may change shared rows (``people.services.refuse_shared_change``).
_guard: Callable[[Any, type[models.Model]], None] | None = None


def set_guard(guard: Callable[[Any, type[models.Model]], None]) -> None:
    global _guard
    _guard = guard


def next_version[V: VersionedRule](
    current: V,
    *,
    actor: Any = None,
    stale: str = STALE,
    check: Callable[[V], None] | None = None,
    **changes: Any,
) -> V:
    """Write the next version of ``current`` in the caller's transaction and return it.

    The current row is locked (``select_for_update``) and read afresh: when another request
    retired it meanwhile, ``Conflict(stale)`` and nothing is written. ``check`` sees the locked
    row before anything is written (a service refuses "nothing was changed" there). The old row
    is marked not current, then a copy of it with ``version + 1`` and the ``changes`` applied is
    created; ``created_at`` (when the model has it) is now, and ``created_by`` (when the model
    has it and an actor is given) the actor's staff profile. Permission checks and the audit
    event stay with the calling service, inside the same ``transaction.atomic()``; an actor the
    guard refuses (``set_guard``: a rule every organization shares) changes nothing.
    """
    model = type(current)
    if _guard is not None and actor is not None:
        _guard(actor, model)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=current.pk)
        if not locked.is_current:
            raise Conflict(stale)
        if check is not None:
            check(locked)
        model._default_manager.filter(pk=locked.pk).update(is_current=False)
        values: dict[str, Any] = {
            field.attname: getattr(locked, field.attname)
            for field in model._meta.concrete_fields
            if field.name not in _NOT_COPIED and not field.primary_key
        }
        names = {field.name for field in model._meta.concrete_fields}
        if "created_at" in names:
            values["created_at"] = clock.now()
        if "created_by" in names and actor is not None:
            from pillars.core import policy

            values["created_by_id"] = policy.actor_for(actor).staff_id
        for name, value in changes.items():
            field = model._meta.get_field(name)
            values.pop(getattr(field, "attname", name), None)
            values[name] = value
        return model._default_manager.create(
            code=locked.code, version=locked.version + 1, is_current=True, **values
        )


def validate_next(current: VersionedRule, changes: Mapping[str, Any]) -> None:
    """Check the next version before anything is written: the current row with the changes
    applied, through the model's own rules (its fields and ``clean``). Raises Django's
    ValidationError, with each message on its field."""
    candidate = copy.copy(current)
    for name, value in changes.items():
        setattr(candidate, name, value)
    candidate.full_clean(exclude=["code"], validate_unique=False, validate_constraints=False)


def refuse_unknown(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a change that names a field the rule's service does not change."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise invalid(None, f"Unknown fields: {', '.join(sorted(unknown))}")


def refuse_unchanged(values: Mapping[str, Any]) -> Callable[[Any], None]:
    """A ``check`` for ``next_version``: "Nothing was changed." when the locked current row
    already has every one of ``values``."""

    def check(locked: Any) -> None:
        if all(getattr(locked, name) == value for name, value in values.items()):
            raise invalid(None, "Nothing was changed.")

    return check


def change_rule[V: VersionedRule](
    current: V, *, actor: Any, fields: Sequence[str], values: Mapping[str, Any], stale: str
) -> V:
    """Make the next version of ``current`` with ``values`` (every one of ``fields``, checked
    by the service) in a transaction of its own: refused when the locked row already has them,
    audited as an update with the old and new values of ``fields``."""
    before = audit.snapshot(current, list(fields))
    with transaction.atomic():
        new = next_version(
            current, actor=actor, stale=stale, check=refuse_unchanged(values), **values
        )
        audit.record(
            actor,
            Action.UPDATE,
            new,
            purpose=Purpose.ADMINISTRATION,
            detail={
                "code": new.code,
                "version": new.version,
                **audit.changes(before, audit.snapshot(new, list(fields))),
            },
        )
    return new


def record_revision(revised: VersionedRule, *, actor: Any, changes: Mapping[str, Any]) -> None:
    """Audit a revision (a new version made from ``changes``), in the caller's transaction."""
    audit.record(
        actor,
        Action.CREATE,
        revised,
        purpose=Purpose.ADMINISTRATION,
        detail={
            "event": "new version",
            "code": revised.code,
            "version": revised.version,
            "changes": {name: str(value) for name, value in changes.items()},
        },
    )
