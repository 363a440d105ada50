"""Adding an addendum (``people.models.Addendum``): the one way the rounds, incidents and
workforce services write a correction to a record that is never edited (DESIGN.md rule 2).

The caller checks its permission and the reason and correction (``Addendum.cleaned``) first;
``adding`` opens the transaction and creates the addendum, dated now, and the caller writes its
audit event inside the ``with`` block, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import transaction

from pillars.core import clock
from pillars.people.models import Addendum


@contextmanager
def adding[A: Addendum](model: type[A], reason: str, text: str, **fields: Any) -> Iterator[A]:
    """In one transaction: the new addendum with its checked ``reason`` and ``text`` and
    ``fields`` (the record it corrects, its author), written now; the ``with`` block audits it.
    An error in the block rolls both back."""
    with transaction.atomic():
        yield cast(
            A,
            model._default_manager.create(
                written_at=clock.now(), reason=reason, text=text, **fields
            ),
        )
