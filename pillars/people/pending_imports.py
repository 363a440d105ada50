"""Files an administrator checked and has yet to confirm: the one way ``people.importing`` (CSV
files) and ``recovery.services.directory`` (HSDS packages) hold a checked file and claim it back.

One file waits per administrator (of a kind, where the caller says so): holding another replaces
it. Confirming claims the held file by deleting its row, so of two confirmations at once only one
imports. Both are called inside the caller's transaction, next to its permission check and its
audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.people.models import PendingImport


def hold(user: Any, *, minutes: int, replacing: Mapping[str, Any], **fields: Any) -> PendingImport:
    """Keep a checked file (``fields``: its kind, source, digest, bytes, rows) for ``minutes``,
    replacing the user's held files that match ``replacing``."""
    now = clock.now()
    PendingImport.objects.filter(uploaded_by=user, **replacing).delete()
    return PendingImport.objects.create(
        uploaded_by=user,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        **fields,
    )


def claim(public_id: Any, user: Any, **match: Any) -> PendingImport | None:
    """The user's held file with this public id (and ``match``), not expired, taken so that no
    one else can confirm it; None when there is no such file or another confirmation took it."""
    pending = PendingImport.objects.filter(
        public_id=public_id, uploaded_by=user, expires_at__gt=clock.now(), **match
    ).first()
    if pending is None:
        return None
    # Deleting is the claim: of two confirmations at once, only the one that deleted the row
    # imports.
    claimed, _ = PendingImport.objects.filter(pk=pending.pk).delete()
    return pending if claimed else None
