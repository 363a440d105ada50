"""How a write service runs its transaction when a racing write can break a unique constraint:
the clash is answered as a Conflict the person can act on, never as a server error; how it
answers a write sent again under the same client id (DESIGN.md rule 7); and how a step taken
once (an end, a revocation, a review) refuses a second time under the row's lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from pillars.core.errors import Conflict, invalid


@contextmanager
def atomic_or_conflict(message: str) -> Iterator[None]:
    """Run the block in one transaction (a savepoint inside another); when a unique constraint
    refuses its write (someone wrote the same a moment ago) it is rolled back and a Conflict with
    ``message`` is raised."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Conflict(message) from None


def replayed[M: Model](
    rows: type[M] | QuerySet[M], client_id: UUID | None, same: Mapping[str, Any], conflict: str
) -> M | None:
    """The record a first write made under ``client_id``, when this write is its replay; None
    when there is no key or nothing was stored under it yet (then the caller writes). ``same``
    holds what the stored record must have to be this write's (whose it is, for whom, what it
    says: field name to value); a key already used for another record is a Conflict with
    ``conflict``: a device's key never reaches someone else's record."""
    if client_id is None:
        return None
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    found = queryset.filter(client_id=client_id).first()
    if found is None or all(getattr(found, name) == value for name, value in same.items()):
        return found
    raise Conflict(conflict)


def lock_once[M: Model](record: M, field: str, refusal: str) -> M:
    """``record`` read again under a row lock, inside the caller's transaction, for a step taken
    once: when its ``field`` is set already (another request took the step a moment ago, or
    long since) the step is refused with ``refusal``, on no field."""
    locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
    if getattr(locked, field) is not None:
        raise invalid(None, refusal)
    return locked
