"""What the restraint area adds to other apps' pages: a section on the person page (active
episode, recent ones, start), and on the unit board a panel of active episodes with their live
timers plus a flag on the row of each person in an episode."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from pillars.audit.choices import Category
from pillars.core import clock, policy, prepared
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.core.templatetags.record_urls import record_url
from pillars.incidents.models import RestraintEpisode
from pillars.incidents.selectors import restraint as selectors
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.rounds import board_extras
from pillars.rounds.board_extras import BoardExtension, RowExtra

RECENT = 5


@hidden_unless_allowed("incidents.restraint_view")
def person_restraint(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    """The active episode and the recent ones, each as its link, kind and start in its unit's
    local time, and the link to start one: one read."""

    # The columns the section shows, the Part 2 label columns (the label guard reads them on a
    # row it logs) and the unit's zone, not its whole row.
    def build(person_id: int) -> QuerySet[RestraintEpisode]:
        return (
            policy.readable(RestraintEpisode.objects.filter(person_id=person_id), request.user)
            .select_related("unit")
            .only(
                "public_id",
                *LABEL_COLUMNS,
                "kind",
                "started_at",
                "released_at",
                "unit__time_zone",
            )
            .order_by("-started_at")[:RECENT]
        )

    recent = yield policy.readable_later(
        "recent restraint episodes", request.user, build, person.pk
    )
    active = next((e for e in recent if e.is_active), None)
    can_start = (
        active is None
        and page.get("writable", True)
        and policy.allows(request.user, "incidents.restraint_order", person)
    )
    return {
        "active": _episode_link(active) if active is not None else None,
        "earlier": [_episode_link(e) for e in recent if not e.is_active],
        "recorded": bool(recent),
        "start_url": record_url("incidents:restraint-start", person.public_id) if can_start else "",
    }


def _episode_link(episode: RestraintEpisode) -> dict[str, str]:
    """An episode as the section links it: its kind and its start in its unit's local time (with
    the zone's abbreviation in the repeated hour of a night the clocks go back)."""
    zone = episode.unit.time_zone
    started = clock.local(episode.started_at, zone)
    return {
        "url": record_url("incidents:restraint-detail", episode.public_id),
        "kind": episode.get_kind_display(),
        "started": f"{started:%Y-%m-%d %H:%M}{fold_mark(episode.started_at, zone)}",
    }


# What one tap records for a person in an active episode (rounds' Location and Activity codes).
STATE_LOCATION = {"seclusion": "seclusion", "mechanical": "other", "physical_hold": "other"}
STATE_ACTIVITY = {"seclusion": "secluded"}


def board_rows(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[RowExtra]]]:
    """A flag on the row of each person in an active episode (one query for the whole board)."""
    user = getattr(request, "user", None)
    if not policy.can(user, "incidents.restraint_view"):
        return {}
    active = yield from selectors.active_person_ids.steps(unit, person_ids, user)
    return {
        person_id: [
            RowExtra(
                label=f"In {episode.get_kind_display().lower()} since",
                url=record_url("incidents:restraint-detail", episode.public_id),
                kind="flag",
                tone="danger",
                icon="⚠",
                at=episode.started_at,
                # The one-tap check records the episode, not the last check's day room.
                location=STATE_LOCATION.get(episode.kind, ""),
                activity=STATE_ACTIVITY.get(episode.kind, "restrained"),
            )
        ]
        for person_id, episode in active.items()
    }


def _timers_key(unit: Unit) -> tuple[str, int]:
    return ("restraint-timers", unit.pk)


def panel_reads(request: HttpRequest, unit: Unit) -> prepared.Steps[None]:
    """The panel's episodes and clocks, read with the rows' extras when the board draws its
    panels (``board_extras.row_extras``)."""
    if not policy.can(getattr(request, "user", None), "incidents.restraint_view"):
        return
    found = yield from selectors.board_timers.steps(request.user, unit, clock.now())
    board_extras.shared(request, _timers_key(unit), lambda: found)


def board_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """The unit's active episodes with order expiring, face-to-face due and monitoring due.
    The board has already checked the unit; each episode is still scoped to the reader."""
    if not policy.can(getattr(request, "user", None), "incidents.restraint_view"):
        return None
    timed = board_extras.shared(
        request, _timers_key(unit), lambda: selectors.board_timers(request.user, unit, clock.now())
    )
    rows = [{"episode": episode, "timers": timers} for episode, timers in timed]
    if not rows:
        return None
    lead = policy.can(getattr(request, "user", None), "incidents.restraint_lead")
    return {
        "rows": rows,
        "zone": unit.time_zone,
        "lead_url": record_url("incidents:restraint-lead", unit.public_id) if lead else "",
    }


def install() -> None:
    register_section(
        PersonSection(
            "incidents-restraint",
            "incidents/restraint/partials/_person_restraint.html",
            person_restraint,
            order=40,
            category=Category.GENERAL,
            group=SAFETY,
        )
    )
    board_extras.register(
        BoardExtension(
            key="incidents-restraint",
            rows=board_rows,
            panel_template="incidents/restraint/board_panel.html",
            panel_context=board_panel,
            panel_reads=panel_reads,
            order=10,
        )
    )
