"""Home-page panels for each role's first jobs (DESIGN.md "Who uses it")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy
from pillars.core.home import Panel, register_panel
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode as R
from pillars.people import selectors
from pillars.people.models import PersonServed, Unit

# DESIGN.md facts: one payer caps a peer support specialist at 15 people served and a
# supervisor at 8 peers. Used here to flag, not to refuse: the cap is the payer's, not a rule.
PEER_CASELOAD_CAP = 15
SUPERVISOR_PEER_CAP = 8


def _my_units(actor: Actor) -> list[Unit]:
    return list(
        selectors.units_visible_to(actor)
        .filter(pk__in=actor.unit_ids, is_active=True)
        .order_by("name")
    )


def units_now(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """How many persons served are on each of the actor's units now (counts, no names)."""
    units = _my_units(actor)
    counts = selectors.occupied_counts(units)
    return {
        "rows": [{"unit": u, "occupied": counts.get(u.pk, 0)} for u in units],
        "can_census": policy.can(actor, "people.view_census"),
        # The rounds board for each unit (a link only; the board audits its own read).
        "can_board": policy.can(actor, "rounds.view"),
    }


def movements_today(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """Admissions and discharges on the actor's units during each unit's local today."""
    admissions, discharges = selectors.movements_today(_my_units(actor))
    selectors.record_list_read(
        actor,
        [p.episode.person for p in admissions + discharges],
        what="home: admissions and discharges today",
    )
    return {
        "admissions": admissions,
        "discharges": discharges,
        # A returning person is on no unit, so the nurse starts from their record number.
        "can_admit": policy.can(actor, "people.admit"),
    }


def my_caseload(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """The persons served on the actor's caseload today, with where each one is now."""
    if actor.staff_id is None:
        return {"rows": []}
    assignments = list(selectors.caseload_for_staff(actor.staff_id))
    people = {
        p.pk: p
        for p in selectors.with_current_placement(
            PersonServed.objects.filter(pk__in=[a.person_id for a in assignments])
        )
    }
    rows = [{"assignment": a, "person": people[a.person_id]} for a in assignments]
    selectors.record_list_read(actor, list(people.values()), what="home: my caseload")
    return {"rows": rows, "count": len(rows), "cap": PEER_CASELOAD_CAP}


def my_team(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """A supervisor's team with caseload sizes; peers over the payer cap are flagged."""
    if actor.staff_id is None:
        return {"rows": []}
    rows = []
    peers = 0
    for member in selectors.team_of(actor, actor.staff_id):
        codes = {r.code for r in member.roles.all()}
        is_peer = R.PEER in codes
        peers += is_peer
        count = member.caseload_count  # type: ignore[attr-defined]
        rows.append(
            {
                "staff": member,
                "count": count,
                "is_peer": is_peer,
                "over_cap": is_peer and count > PEER_CASELOAD_CAP,
            }
        )
    return {
        "rows": rows,
        "cap": PEER_CASELOAD_CAP,
        "peers": peers,
        "supervisor_cap": SUPERVISOR_PEER_CAP,
        "over_supervisor_cap": peers > SUPERVISOR_PEER_CAP,
    }


def organization_census(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """Every unit's occupancy and the staff employed today by role, for a program director."""
    units = list(selectors.units_visible_to(actor).filter(is_active=True).order_by("name"))
    counts = selectors.occupied_counts(units)
    rows = [{"unit": u, "occupied": counts.get(u.pk, 0)} for u in units]
    return {
        "rows": rows,
        "occupied": sum(r["occupied"] for r in rows),
        "beds": sum(u.bed_count for u in units),
        "roles": selectors.staff_counts_by_role(actor),
    }


def emergency_reviews(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    return {"count": selectors.grants_awaiting_review(actor).count()}


def reference_data(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    return {
        "can_import": policy.can(actor, "people.import"),
        "can_staff": policy.can(actor, "people.edit_staff"),
        "can_admin": policy.can(actor, "people.edit_unit"),
    }


PANELS = [
    Panel(
        "people-units-now",
        "Your units now",
        "people/panels/units_now.html",
        frozenset({R.BHT, R.NURSE, R.CLINICIAN}),
        units_now,
        order=10,
    ),
    Panel(
        "people-movements-today",
        "Admissions and discharges today",
        "people/panels/movements_today.html",
        frozenset({R.NURSE}),
        movements_today,
        order=20,
    ),
    Panel(
        "people-caseload",
        "Your caseload",
        "people/panels/caseload.html",
        frozenset({R.PEER, R.CLINICIAN}),
        my_caseload,
        order=15,
    ),
    Panel(
        "people-team",
        "Your team",
        "people/panels/team.html",
        frozenset({R.SUPERVISOR}),
        my_team,
        order=10,
    ),
    Panel(
        "people-organization-census",
        "Census across the organization",
        "people/panels/organization_census.html",
        frozenset({R.DIRECTOR}),
        organization_census,
        order=10,
    ),
    Panel(
        "people-emergency-reviews",
        "Emergency access awaiting review",
        "people/panels/emergency_reviews.html",
        frozenset({R.PRIVACY}),
        emergency_reviews,
        order=10,
    ),
    Panel(
        "people-reference-data",
        "Units, staff and reference data",
        "people/panels/reference_data.html",
        frozenset({R.ADMIN}),
        reference_data,
        order=10,
    ),
]


def register() -> None:
    for panel in PANELS:
        register_panel(panel)
