"""What the workforce area ladder adds to other apps: menu entries, and the ladders in the
admin (reference data, every save audited). Other areas plug their criterion evaluators in
with ``selectors.ladder.register_evaluator`` from their own extensions."""

from __future__ import annotations

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.ladder import LadderCriterion, LadderStep

    class StepAdmin(ReferenceAdmin):
        list_display = ["title", "role", "rank", "is_active"]
        list_filter = ["role", "is_active"]

    class CriterionAdmin(ReferenceAdmin):
        list_display = ["label", "step", "kind", "threshold", "code"]
        list_filter = ["kind"]

    register_reference_admins((LadderStep, StepAdmin), (LadderCriterion, CriterionAdmin))


def install() -> None:
    """Register this area's hooks."""
    register_nav(
        [
            NavEntry(
                "My career ladder",
                "workforce:ladder-mine",
                "workforce.view_ladder_progress",
                order=98,
                more=True,
            )
        ]
    )
    _register_admin()
