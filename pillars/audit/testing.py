"""For tests: where the audit log stands, and what was appended since.

Event numbers are not counts (on PostgreSQL a sequence numbers them, and a rolled-back append
leaves a gap), so "what happened since" goes by the highest ``seq``."""

from __future__ import annotations

from typing import Any

from pillars.audit.models import AuditEvent


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def events_since(seq: int, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq, **filters).order_by("seq"))


def lift_append_only() -> None:
    """What someone with the database owner's rights can do before tampering: switch off the
    audit table's append-only triggers (for the rest of the test's transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
