"""What the workforce area wellbeing adds to other apps: the exposure ledger's writer behind the
incidents hook (pillars.incidents.exposure), menu entries, and the instruments, rules, resources
and employee assistance contacts in the admin (reference data, every save audited)."""

from __future__ import annotations

from typing import Any

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.wellbeing import (
        CheckInInstrument,
        CheckInItem,
        CheckInRule,
        EmployeeAssistance,
        SelfCareResource,
    )

    class InstrumentAdmin(ReferenceAdmin):
        list_display = ["name", "code", "version", "is_active"]

        def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
            # Check-ins store answers on the instrument's scale: a new scale is a new instrument.
            return ["code", "scale"] if obj is not None else []

    class ItemAdmin(ReferenceAdmin):
        list_display = ["number", "instrument", "subscale", "is_reversed", "text"]
        list_filter = ["instrument"]

    class RuleAdmin(ReferenceAdmin):
        list_display = ["exposure_kind", "instrument", "version", "remind_after_days", "is_active"]
        list_filter = ["is_active"]

    class ResourceAdmin(ReferenceAdmin):
        list_display = ["title", "organization", "sort_order", "is_active"]

    class AssistanceAdmin(ReferenceAdmin):
        list_display = ["name", "organization", "phone"]

    pairs = (
        (CheckInInstrument, InstrumentAdmin),
        (CheckInItem, ItemAdmin),
        (CheckInRule, RuleAdmin),
        (SelfCareResource, ResourceAdmin),
        (EmployeeAssistance, AssistanceAdmin),
    )
    register_reference_admins(*pairs)


def install() -> None:
    """Register this area's hooks."""
    from pillars.incidents import exposure
    from pillars.workforce.services.wellbeing import record_exposure

    exposure.set_writer(record_exposure)
    register_nav(
        [
            NavEntry(
                "My wellbeing",
                "workforce:wellbeing-mine",
                "workforce.view_own_wellbeing",
                order=97,
                more=True,
            ),
            NavEntry(
                "Staff wellbeing",
                "workforce:wellbeing-aggregate",
                "workforce.view_wellbeing_aggregate",
                order=96,
                more=True,
            ),
        ]
    )
    _register_admin()
