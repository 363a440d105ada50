"""What the matching area adds to other apps' pages: the "Connect to a peer" section of a
person's page, and menu entries for requests in progress and a peer's own profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy, prepared
from pillars.core.navigation import NavEntry, register
from pillars.core.templatetags.record_urls import record_url
from pillars.people.models import PersonServed
from pillars.people.sections import CARE_TEAM, hidden_unless_allowed
from pillars.recovery.extensions import register_mixed_section
from pillars.recovery.models.matching import MatchStatus
from pillars.recovery.selectors import matching as selectors


@hidden_unless_allowed("recovery.view_peer_matches")
def person_peer_match(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    # Built once per reader's labels (policy.readable_rows): every page of a person asks it.
    rows = yield policy.readable_later(
        "a person's latest peer requests",
        request.user,
        lambda person_id: selectors.requests_of(person_id, request.user)[:5],
        person.pk,
    )
    can_request = page.get("writable", True) and policy.allows(
        request.user, "recovery.request_peer", person
    )
    return {
        "active": next((r for r in rows if r.is_active), None),
        "last_chosen": next((r for r in rows if r.status == MatchStatus.CHOSEN), None),
        "request_url": record_url("recovery:match-request-new", person.public_id)
        if can_request
        else "",
    }


def install() -> None:
    """Register this area's sections, panels and menu entries."""
    register_mixed_section(
        "recovery-peer-match",
        "recovery/matching/_person_section.html",
        person_peer_match,
        order=70,
        group=CARE_TEAM,
    )
    register(
        [
            NavEntry("Peer requests", "recovery:match-list", "recovery.view_peer_matches", 60),
            NavEntry(
                "My peer profile",
                "recovery:peer-profile",
                "recovery.edit_peer_profile",
                order=61,
                more=True,
            ),
        ]
    )
