"""What the gating area adds: the floor gate people offers (rounds, incidents and recovery
ask it), and the floor rules in the admin."""

from __future__ import annotations

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav
from pillars.people import hooks


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.gating import FloorRule

    class FloorRuleAdmin(ReferenceAdmin):
        list_display = ["name", "task", "effect", "missing_effect", "is_active"]
        list_filter = ["task", "effect", "is_active"]
        m2m_fields = ("credential_types", "courses", "roles")

    register_reference_admins((FloorRule, FloorRuleAdmin))


def install() -> None:
    from pillars.workforce.services.gating import check_many, record_warnings

    hooks.set_floor_gate(checker=check_many, recorder=record_warnings)
    register_nav(
        [
            NavEntry(
                "Floor rules",
                "workforce:floor-rules",
                "workforce.view_floor_rules",
                order=93,
                more=True,
            ),
            NavEntry(
                "Workforce rules",
                "workforce:rules",
                "workforce.view_floor_rules",
                order=94,
                more=True,
            ),
        ]
    )
    _register_admin()
