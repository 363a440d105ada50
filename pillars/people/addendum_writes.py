"""Writing an addendum (``people.models.Addendum``): the one way the rounds, incidents and
workforce services add a correction to a record that is never edited (DESIGN.md rule 2).

The caller checks its own permission first and says how the write is audited; this checks the
reason and the correction, then creates the addendum and writes the audit event in one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db import transaction

from pillars.core import clock
from pillars.people.models import Addendum


def write_addendum[A: Addendum](
    model: type[A],
    *,
    reason: Any,
    text: Any,
    about: str,
    max_text: int,
    record_event: Callable[[A], None],
    **fields: Any,
) -> A:
    """Check ``reason`` and ``text`` (``Addendum.cleaned``: ``about`` names what is corrected),
    then create the addendum with ``fields`` (the record it corrects, its author) dated now,
    and write its audit event (``record_event(addendum)``) in the same transaction."""
    reason, text = model.cleaned(reason, text, about=about, max_text=max_text)
    with transaction.atomic():
        addendum = cast(
            A,
            model._default_manager.create(
                written_at=clock.now(), reason=reason, text=text, **fields
            ),
        )
        record_event(addendum)
    return addendum
