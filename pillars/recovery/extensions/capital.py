"""What the capital area adds to other apps' pages: the recovery capital section of a person's
page, the instruments page in the menu, and the instruments in the admin (reference data kept
by administrators, every save audited, nothing deleted)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav
from pillars.people.models import PersonServed
from pillars.people.sections import RECOVERY, hidden_unless_allowed
from pillars.recovery.extensions import register_mixed_section
from pillars.recovery.selectors import capital as selectors


@hidden_unless_allowed("recovery.view_capital")
def person_capital(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    return {"latest": [t for t in selectors.trends_for(person, request.user) if t.rows]}


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.recovery.models.capital import Instrument, InstrumentItem, InstrumentSubscale

    class InstrumentAdmin(ReferenceAdmin):
        list_display = ["name", "code", "scale_min", "scale_max", "scoring", "is_active"]
        list_filter = ["is_active"]
        search_fields = ["name", "code"]

        def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
            # Assessments name their instrument and store answers on its scale: once there is
            # an instrument, its code and scale stay (make a new instrument instead).
            return ["code", "scale_min", "scale_max"] if obj is not None else []

    class SubscaleAdmin(ReferenceAdmin):
        list_display = ["name", "code", "instrument", "sort_order"]
        list_filter = ["instrument"]

    class ItemAdmin(ReferenceAdmin):
        list_display = ["number", "instrument", "subscale", "is_reversed", "text"]
        list_filter = ["instrument", "is_reversed"]
        search_fields = ["text"]

    register_reference_admins(
        (Instrument, InstrumentAdmin),
        (InstrumentSubscale, SubscaleAdmin),
        (InstrumentItem, ItemAdmin),
    )


def install() -> None:
    """Register this area's sections, panels and menu entries."""
    register_mixed_section(
        "recovery-capital",
        "recovery/capital/_person_section.html",
        person_capital,
        order=61,
        group=RECOVERY,
        # Trends over every assessment: opened when wanted.
        on_demand=True,
        title="Recovery capital",
        action="recovery.view_capital",
    )
    register_nav(
        [
            NavEntry(
                "Recovery instruments",
                "recovery:instrument-list",
                "recovery.view_instruments",
                order=80,
                more=True,
            )
        ]
    )
    _register_admin()
