"""The survey-readiness packet: one person's stay as a surveyor reads it.

For one episode of care it puts in one PDF what a surveyor or a regulator asks for after a
serious event: the observation record with every check and every gap (late and missed checks
named, late entries with their reasons, monitoring exceptions, addenda), the incidents, the
restraint and seclusion episodes with their clocks (order limits, the 1-hour face-to-face,
monitoring, release, debrief, the rules broken), the safety and behavior plans in force, and
the handoff notes about the person.

It only reads. Every record is checked against the policy layer one by one: a record the
reader may not see (a Part 2 record of another program, say) is left out and the packet says
how many were left out and why, so a gap in the packet is never silent. The copy leaves through
``core.exports.release`` (the export is logged, and the 42 CFR 2.32 notice is printed when Part 2
records are in it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Model, Q

from pillars.core import clock, exports, policy
from pillars.core.pdf import FAMILY, document, printable, writer
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.incidents.models import (
    BehaviorPlan,
    Incident,
    RestraintEpisode,
    SafetyPlanVersion,
)
from pillars.people.models import Episode
from pillars.people.selectors import person_zone
from pillars.rounds import integrity
from pillars.rounds.models import Check, HandoffNote, MonitoringException, ObservationOrder

ACTION = "insights.survey_packet"
ACTIONS = {
    # The unit's leads and the director answer surveyors; the privacy officer and administrators
    # do not read the clinical record for that.
    ACTION: rule(
        R.NURSE,
        R.CLINICIAN,
        R.DIRECTOR,
        description="print the survey-readiness packet of a person's stay",
    ),
}


def install() -> None:
    policy.register(ACTIONS)


@dataclass
class Section:
    """One part of the packet: its rows, and how many records the reader could not see."""

    title: str
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    withheld: int = 0


@dataclass
class Stay:
    """Everything the packet prints about one episode, already filtered for the reader."""

    episode: Episode
    zone: tzinfo
    until: datetime
    sections: list[Section]
    records: list[Model]  # the records printed, for the export's Part 2 check and log

    @property
    def counts(self) -> dict[str, int]:
        return {s.title: len(s.rows) for s in self.sections}


def _t(moment: datetime | None, zone: tzinfo) -> str:
    return clock.local(moment, zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _visible(actor: Any, records: Iterable[Any]) -> tuple[list[Any], int]:
    shown, withheld = [], 0
    for record in records:
        if policy.is_visible(actor, record):
            shown.append(record)
        else:
            withheld += 1
    return shown, withheld


def gather(user: Any, episode: Episode) -> Stay:
    """The packet's content for ``user`` (who has been allowed the packet for this person)."""
    actor = policy.actor_for(user)
    person = episode.person
    zone = person_zone(person)
    now = clock.now()
    until = episode.discharged_at or now
    records: list[Model] = []

    stay = Section("Stay", ("Unit and bed", "From", "To", "Reason"), (50, 30, 30, 60))
    for placement in episode.placements.select_related("unit", "bed").order_by("started_at"):
        where = placement.unit.name + (f", bed {placement.bed}" if placement.bed else "")
        stay.rows.append(
            (where, _t(placement.started_at, zone), _t(placement.ended_at, zone), placement.reason)
        )

    orders, withheld_orders = _visible(
        actor,
        ObservationOrder.objects.filter(episode=episode)
        .select_related("level", "ordered_by", "ended_by")
        .order_by("started_at"),
    )
    records += orders
    levels = Section(
        "Observation orders",
        ("Level", "Precautions", "Ordered by", "From", "To", "Reason"),
        (22, 30, 30, 27, 27, 34),
        withheld=withheld_orders,
    )
    checks = Section(
        "Every check",
        ("Observed", "Entered", "By", "Where, doing", "Status", "Note"),
        (27, 27, 30, 36, 20, 30),
    )
    gaps = Section(
        "Gaps between checks",
        ("Level", "From", "To", "Minutes", "Finding"),
        (30, 30, 30, 20, 60),
    )
    exceptions = Section(
        "Monitoring exceptions (the clock paused)",
        ("Kind", "From", "To", "Reason"),
        (30, 30, 30, 80),
    )
    order_ids = [o.pk for o in orders]
    by_order: dict[int, list[Check]] = defaultdict(list)
    for c in (
        Check.objects.filter(order_id__in=order_ids)
        .select_related("observed_by")
        .prefetch_related("addenda__written_by")
        .order_by("observed_at")
    ):
        by_order[c.order_id].append(c)
    pauses: dict[int, list[MonitoringException]] = defaultdict(list)
    for e in MonitoringException.objects.filter(order_id__in=order_ids).order_by("started_at"):
        pauses[e.order_id].append(e)

    for order in orders:
        levels.rows.append(
            (
                order.level.name,
                ", ".join(order.precautions),
                order.ordered_by.display_name,
                _t(order.started_at, zone),
                _t(order.ended_at, zone),
                order.reason,
            )
        )
        seen = by_order[order.pk]
        for c in seen:
            note = c.note
            if c.is_late_entry:
                note = f"Late entry: {c.late_reason}. {note}".strip()
            for a in c.addenda.all():
                note += f" Addendum {_t(a.written_at, zone)} by {a.written_by.display_name}"
                note += f" ({a.reason}): {a.text}"
            checks.rows.append(
                (
                    _t(c.observed_at, zone),
                    _t(c.recorded_at, zone),
                    c.observed_by.display_name,
                    f"{c.get_location_display()}, {c.get_activity_display()}",
                    c.get_safety_status_display(),
                    note.strip(),
                )
            )
        order_end = min(until, order.ended_at or until)
        for e in pauses[order.pk]:
            exceptions.rows.append(
                (
                    e.get_kind_display(),
                    _t(e.started_at, zone),
                    _t(e.ended_at, zone),
                    e.reason,
                )
            )
        for gap in integrity.rounds_gaps(
            order.started_at,
            [c.observed_at for c in seen],
            order_end,
            interval=order.level.interval,
            missed_after=order.level.missed_after,
            pauses=[(e.started_at, e.ended_at or order_end) for e in pauses[order.pk]],
            starts_due=True,
        ):
            finding = "missed check" if gap.status == "missed" else "late check"
            if gap.is_open:
                finding += " (no check since)"
            gaps.rows.append(
                (order.level.name, _t(gap.starts_at, zone), _t(gap.ends_at, zone),
                 str(gap.minutes), finding)
            )  # fmt: skip
    if not gaps.rows and orders:
        gaps.notes.append("No check was late or missed during this stay.")

    incidents_section = Section(
        "Incidents",
        ("When", "Type", "Unit", "Injuries", "What happened"),
        (27, 28, 25, 35, 55),
    )
    shown, incidents_section.withheld = _visible(
        actor,
        Incident.objects.filter(
            persons__person=person,
            occurred_at__gte=episode.admitted_at,
            occurred_at__lt=until,
            submitted_at__isnull=False,
        )
        .select_related("unit")
        .prefetch_related("injuries")
        .distinct()
        .order_by("occurred_at"),
    )
    records += shown
    for incident in shown:
        injuries = "; ".join(
            f"{i.get_severity_display()}: {i.description}" for i in incident.injuries.all()
        )
        incidents_section.rows.append(
            (
                _t(incident.occurred_at, zone),
                incident.get_type_display(),
                incident.unit.name,
                injuries or "none recorded",
                incident.narrative,
            )
        )

    restraint = Section(
        "Restraint and seclusion, with their clocks",
        ("Kind", "Started", "Released", "Orders", "Face-to-face", "Checks", "Rules broken"),
        (20, 24, 24, 30, 24, 16, 32),
    )
    shown, restraint.withheld = _visible(
        actor,
        RestraintEpisode.objects.filter(
            person=person, started_at__gte=episode.admitted_at, started_at__lt=until
        )
        .select_related("profile")
        .prefetch_related("orders", "checks", "face_to_faces")
        .order_by("started_at"),
    )
    records += shown
    for ep in shown:
        orders_text = "; ".join(
            f"{'renewal' if o.is_renewal else 'order'} {_t(o.ordered_at, zone)} "
            f"({o.limit_minutes} min, to {_t(o.expires_at, zone)})"
            for o in ep._orders()
        )
        face = ep.face_to_face_done_at()
        face_text = (
            f"{_t(face, zone)} (due {_t(ep.face_to_face_due_at(), zone)})"
            if face
            else f"not done (due {_t(ep.face_to_face_due_at(), zone)})"
        )
        broken = "; ".join(f"{v.label} {_t(v.at, zone)}" for v in ep.violations_at(now))
        restraint.rows.append(
            (
                ep.get_kind_display(),
                _t(ep.started_at, zone),
                _t(ep.released_at, zone) or "not released",
                orders_text,
                face_text,
                str(len(ep._checks())),
                broken or "none",
            )
        )

    plans = Section(
        "Safety and behavior plans in force during the stay",
        ("Plan", "Version", "Status", "Written", "Signed", "Review or end"),
        (35, 18, 25, 32, 32, 28),
    )
    safety, withheld_safety = _visible(
        actor,
        SafetyPlanVersion.objects.filter(person=person, drafted_at__lt=until).order_by("number"),
    )
    behavior, withheld_behavior = _visible(
        actor,
        BehaviorPlan.objects.filter(person=person, written_at__lt=until)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=episode.admitted_at))
        .order_by("version"),
    )
    plans.withheld = withheld_safety + withheld_behavior
    records += safety + behavior
    for v in safety:
        plans.rows.append(
            (
                "Safety plan",
                str(v.number),
                v.get_status_display(),
                _t(v.drafted_at, zone),
                _t(v.signed_at, zone),
                f"review {v.review_on:%Y-%m-%d}",
            )
        )
    for b in behavior:
        plans.rows.append(
            (
                "Behavior plan",
                str(b.version),
                b.get_status_display(),
                _t(b.written_at, zone),
                "",
                f"ended {b.ended_on:%Y-%m-%d}" if b.ended_on else f"from {b.effective_on:%Y-%m-%d}",
            )
        )

    notes = list(
        HandoffNote.objects.filter(
            person=person, written_at__gte=episode.admitted_at, written_at__lt=until
        )
        .select_related("handoff__unit", "written_by")
        .order_by("written_at")
    )
    # A note is read with its handoff, which is its unit's (another unit's, a substance-use
    # program's say, is not the reader's): checked like every other record here.
    open_handoffs = {
        h.pk for h in _visible(actor, {hn.handoff_id: hn.handoff for hn in notes}.values())[0]
    }
    handoffs = Section(
        "Handoff notes about the person",
        ("Shift", "Written", "By", "Note"),
        (40, 27, 30, 73),
        withheld=sum(1 for hn in notes if hn.handoff_id not in open_handoffs),
    )
    for hn in (hn for hn in notes if hn.handoff_id in open_handoffs):
        shift = f"{hn.handoff.unit.name} {_t(hn.handoff.starts_at, zone)}"
        text = f"Addendum ({hn.reason}): {hn.text}" if hn.is_addendum else hn.text
        handoffs.rows.append((shift, _t(hn.written_at, zone), hn.written_by.display_name, text))

    return Stay(
        episode=episode,
        zone=zone,
        until=until,
        sections=[stay, levels, gaps, checks, exceptions, incidents_section, restraint, plans,
                  handoffs],
        records=records,
    )  # fmt: skip


def export(user: Any, episode: Episode) -> bytes:
    """The packet that leaves: gathered for the reader, then released through the one door."""
    stay = gather(user, episode)
    release = exports.release(
        user,
        what="insights.survey_packet",
        fmt="pdf",
        records=stay.records,
        person_id=episode.person.public_id,
        detail={"episode": str(episode.public_id), "sections": stay.counts},
    )
    return render(stay, release)


def _table(pdf: Any, section: Section) -> None:
    scale = pdf.epw / sum(section.widths)
    with pdf.table(
        col_widths=tuple(w * scale for w in section.widths),
        text_align="LEFT",
        line_height=4.2,
        first_row_as_headings=True,
    ) as table:
        header = table.row()
        for name in section.columns:
            header.cell(printable(name))
        for values in section.rows:
            row = table.row()
            for value in values:
                row.cell(printable(value))


def render(stay: Stay, release: exports.Release | None = None) -> bytes:
    """The PDF (landscape would cut the record in two on paper: columns are sized instead)."""
    episode = stay.episode
    person = episode.person
    zone = stay.zone
    pdf = document(f"Survey-readiness packet: {person.display_name}")

    line = writer(pdf, body=10, leading=0.45, gap=1.5)

    line(f"Survey-readiness packet: {person.display_name}", 16, "B", 2)
    line(
        f"Record {person.record_number}. Admitted {_t(episode.admitted_at, zone)}; "
        + (
            f"discharged {_t(episode.discharged_at, zone)}."
            if episode.discharged_at
            else "still admitted."
        )
    )
    line(
        f"Printed {_t(clock.now(), zone)} ({getattr(zone, 'key', zone)}). Times are local to "
        "the unit. Each check shows when it was observed and when it was entered; a late entry "
        "is marked with its reason. A gap longer than the level's interval is a late check, "
        "longer than its grace a missed one.",
        9,
        gap=4,
    )
    pdf.set_font(FAMILY, size=8)
    for section in stay.sections:
        line(section.title, 12, "B", 1)
        if section.withheld:
            line(
                f"{section.withheld} record(s) left out: you may not read them (for example "
                "substance-use records of another program, 42 CFR Part 2).",
                9,
                "I",
            )
        if section.rows:
            pdf.set_font(FAMILY, size=8)
            _table(pdf, section)
            pdf.ln(2)
        else:
            line("Nothing recorded.", 9, "I")
        for note in section.notes:
            line(note, 9)
        pdf.ln(2)
    if release is not None:
        exports.pdf_notice(pdf, release)
    return bytes(pdf.output())


def summary(stay: Stay) -> Sequence[tuple[str, int, int]]:
    """(section, rows, withheld) for the page that offers the packet."""
    return [(s.title, len(s.rows), s.withheld) for s in stay.sections]


def person_section(request: Any, person: Any, page: dict[str, Any]) -> dict[str, Any] | None:
    """The person page's link to the packet of each stay, for the roles that may print it."""
    if not policy.allows(request.user, ACTION, person):
        return None
    episodes = list(Episode.objects.filter(person=person).order_by("-admitted_at"))
    return {"packet_episodes": episodes} if episodes else None


def install_section() -> None:
    from pillars.audit.choices import Category
    from pillars.people.sections import SAFETY, PersonSection, register_section

    register_section(
        PersonSection(
            "insights-packet",
            "insights/partials/_person_packet.html",
            person_section,
            order=90,
            category=Category.GENERAL,
            group=SAFETY,
            on_demand=True,
            title="Survey-readiness packet",
            action=ACTION,
        )
    )
