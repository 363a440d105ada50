"""What the workforce area retention adds to other apps: the director's workforce view in the
menu, and exit reasons in the admin (reference data, every save audited)."""

from __future__ import annotations

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.retention import ExitReasonKind

    class ExitReasonKindAdmin(ReferenceAdmin):
        list_display = ["label", "code", "kind", "is_active"]
        list_filter = ["kind", "is_active"]

    register_reference_admins((ExitReasonKind, ExitReasonKindAdmin))


def install() -> None:
    """Register this area's hooks."""
    register_nav(
        [
            NavEntry(
                "Turnover and retention",
                "workforce:retention",
                "workforce.view_retention",
                order=92,
                more=True,
            )
        ]
    )
    _register_admin()
