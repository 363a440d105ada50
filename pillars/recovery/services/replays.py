"""A write a device or a form may send twice (DESIGN.md rule 7), for the recovery services:
each checks ``core.writes.replayed`` before it validates, so a resend answers with the first
record; this covers the two sends that race (a double tap), where the first check finds
nothing for either."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction


def written_once[M](write: Callable[[], M], replay: Callable[[], M | None]) -> M:
    """``write`` in one transaction. When a unique key refuses it because the other send of
    the same client id committed first, its transaction is rolled back and the answer is the
    record that send made (``replay``); any other clash is raised."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        existing = replay()
        if existing is None:
            raise
        return existing
