"""What the referrals area adds to other apps' pages: the "Referrals" section of a person's
page, and menu entries for open referrals and the outcomes report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy
from pillars.core.navigation import NavEntry, register
from pillars.people.models import PersonServed
from pillars.people.sections import CARE_TEAM, hidden_unless_allowed
from pillars.recovery.extensions import register_mixed_section
from pillars.recovery.selectors import referrals as selectors


@hidden_unless_allowed("recovery.view_referrals")
def person_referrals(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    rows = list(selectors.referrals_of(person, request.user)[:5])
    return {
        "rows": rows,
        "can_refer": page.get("writable", True)
        and policy.allows(request.user, "recovery.make_referral", person),
    }


def install() -> None:
    """Register this area's section and menu entries."""
    register_mixed_section(
        "recovery-referrals",
        "recovery/referrals/_person_section.html",
        person_referrals,
        order=72,
        group=CARE_TEAM,
        # Past and open referrals: opened when wanted.
        on_demand=True,
        title="Referrals",
        action="recovery.view_referrals",
    )
    register(
        [
            NavEntry("Referrals", "recovery:referral-list", "recovery.view_referrals", 62),
            NavEntry(
                "Referral outcomes",
                "recovery:referral-outcomes",
                "recovery.view_referral_outcomes",
                order=63,
                more=True,
            ),
        ]
    )
