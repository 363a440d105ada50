"""The hook by which incidents and restraints write the staff exposure ledger.

The ledger is the workforce app's (workforce.wellbeing: a serious exposure also invites the
staff member to a private check-in), but incidents know when staff were exposed. Incidents name
the staff member, the kind (``ExposureKind``), when and the source record; the workforce app
installs the writer from its ``AppConfig.ready`` (``set_writer``), so incidents import nothing of
it. Without a writer installed (an installation without the workforce app) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# (staff_id, kind, occurred_at, source record, actor) -> the ledger row (or None)
Writer = Callable[[int, str, datetime, Any, Any], Any]

_writer: Writer | None = None


def set_writer(writer: Writer) -> None:
    global _writer
    _writer = writer


def write(staff_id: int, kind: str, occurred_at: datetime, source: Any, actor: Any) -> Any:
    """Hand one exposure to the ledger, inside the caller's transaction."""
    if _writer is None:
        return None
    return _writer(staff_id, kind, occurred_at, source, actor)
