"""How a write service runs its transaction when a racing write can break a unique constraint:
the clash is answered as a Conflict the person can act on, never as a server error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from pillars.core.errors import Conflict


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
