"""Demo data for the restraint area of incidents: a few months of restraint and seclusion
episodes on the inpatient units, replayed through the real services at the moments they
happened (orders, monitoring every 12-15 minutes, the face-to-face, release, guardian notice,
debrief), a couple of them with a late face-to-face, and one active episode on the demo nurse's
unit now so the board shows live timers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.incidents.models import EpisodeKind, RestraintEpisode
from pillars.incidents.services import restraint as services
from pillars.people.choices import UnitKind
from pillars.people.models import Placement, Staff, Unit

HISTORY_DAYS = 120
PER_UNIT = {"small": 10, "large": 6}
LATE_FACE_TO_FACE = 2
# Minutes an episode of each kind lasts in the demo (holds are short; seclusion and mechanical
# restraint longer).
DURATION: dict[str, tuple[int, int]] = {
    EpisodeKind.PHYSICAL_HOLD: (4, 14),
    EpisodeKind.SECLUSION: (25, 150),
    EpisodeKind.MECHANICAL: (45, 260),
    EpisodeKind.DRUG: (40, 120),
}
# Holds are the most common; every kind appears on the larger units.
KINDS = [
    EpisodeKind.PHYSICAL_HOLD,
    EpisodeKind.SECLUSION,
    EpisodeKind.MECHANICAL,
    EpisodeKind.PHYSICAL_HOLD,
    EpisodeKind.DRUG,
    EpisodeKind.SECLUSION,
    EpisodeKind.PHYSICAL_HOLD,
]
REASONS = [
    "Struck staff repeatedly after verbal de-escalation; continued to charge at peers.",
    "Banging head against the wall; could not be redirected.",
    "Threw furniture toward peers in the day room.",
    "Attempted to tie clothing around neck; would not release it.",
]
STEPS = "Verbal de-escalation, offered choices, reduced stimulation, offered PRN by mouth."
CRITERIA = "Calm for ten minutes, no threats, able to agree a safety plan with staff."
INPATIENT = (UnitKind.ACUTE_ADULT, UnitKind.ADOLESCENT, UnitKind.CRISIS, UnitKind.RESIDENTIAL)


def _involved(ctx: DemoContext, unit: Unit, moment: datetime) -> list[Staff]:
    """Who took part: two of the unit's BHTs and its nurse, those working then (a hold takes
    more than one pair of hands; the exposure ledger gets a restraint row for each)."""
    by_role = ctx.staff_by_unit.get(unit.code, {})
    wanted = [*by_role.get("bht", [])[:2], *by_role.get("nurse", [])[:1]]
    working = set(
        services.eligible_staff(unit, moment)
        .filter(pk__in=[s.pk for s in wanted])
        .values_list("pk", flat=True)
    )
    return [s for s in wanted if s.pk in working]


def _placement_at(
    rng: random.Random, unit: Unit, moment: datetime, taken: set[int]
) -> Placement | None:
    """Someone on the unit at that moment and still on it now (only they are in the unit
    staff's scope), admitted at least two hours before."""
    found = list(
        Placement.objects.at(moment)
        .filter(unit=unit, ended_at__isnull=True, started_at__lt=moment - timedelta(hours=2))
        .exclude(episode__person_id__in=taken)
        .select_related("episode__person")
        .order_by("pk")
    )
    return rng.choice(found) if found else None


def _run(
    rng: random.Random,
    ctx: DemoContext,
    unit: Unit,
    placement: Placement,
    start: datetime,
    kind: str,
    late: bool,
) -> RestraintEpisode | None:
    nurse = ctx.first_staff(unit, "nurse")
    bht = ctx.first_staff(unit, "bht") or nurse
    # The clinician gives the order; the nurse enters it.
    doctor = ctx.first_staff(unit, "clinician")
    if nurse is None or bht is None or doctor is None:
        return None
    person = placement.episode.person
    low, high = DURATION[kind]
    end = start + timedelta(minutes=rng.randint(low, high))
    if end >= ctx.now - timedelta(hours=4):
        return None
    second = timedelta(seconds=40)
    with clock.replaying_at(start + second):
        episode = services.start_episode(
            person,
            actor=nurse.user,
            kind=kind,
            reason=rng.choice(REASONS),
            alternatives_tried=STEPS,
            release_criteria=CRITERIA,
            started_at=start,
            ordered_by=doctor,
            staff=_involved(ctx, unit, start),
        )
    seen = start + timedelta(minutes=rng.randint(70, 95) if late else rng.randint(20, 55))
    moment = start
    items: dict[str, Any] = {}
    while True:
        moment += timedelta(minutes=rng.randint(11, 15))
        if moment >= end:
            break
        expires = services.load_episode(episode.pk).order_expires_at()
        if expires is not None and moment >= expires - timedelta(minutes=5):
            with clock.replaying_at(moment):
                services.renew_order(episode, actor=doctor.user, note="Still unsafe")
        if kind == EpisodeKind.MECHANICAL:
            items = {
                "circulation_ok": True,
                "skin_ok": True,
                "range_of_motion": True,
                "hydration_offered": True,
                "toileting_offered": rng.random() < 0.6,
            }
        with clock.replaying_at(moment + second):
            services.record_monitoring(
                episode,
                actor=bht.user,
                condition=rng.choice(["Pacing, no injury", "Lying down, breathing even", "Quiet"]),
                observed_at=moment,
                **items,
            )
    if seen < end:
        with clock.replaying_at(seen + second):
            services.record_face_to_face(
                episode, actor=doctor.user, findings="Seen in person; continue.", seen_at=seen
            )
    with clock.replaying_at(end + second):
        services.release_episode(
            episode, actor=nurse.user, reason="Met the release criteria.", released_at=end
        )
    if seen >= end:
        # A face-to-face after a short episode still follows within the hour of release.
        seen = min(seen, end + timedelta(minutes=55))
        with clock.replaying_at(seen + second):
            services.record_face_to_face(
                episode,
                actor=doctor.user,
                findings="Seen after release; calm.",
                seen_at=seen,
                continue_episode=False,
            )
    with clock.replaying_at(end + timedelta(minutes=30)):
        services.notify_guardian(episode, actor=nurse.user, note="Guardian told by phone.")
    with clock.replaying_at(end + timedelta(hours=3)):
        services.record_debrief(
            episode,
            actor=nurse.user,
            notes="Talked through triggers; added early signs to the safety plan.",
            with_person=rng.random() < 0.7,
        )
    return episode


def _active_now(ctx: DemoContext) -> None:
    """One episode running now on the demo nurse's unit: the board shows its timers."""
    nurse = ctx.demo_staff.get("demo-nurse")
    units = list(nurse.home_units.all()) if nurse is not None else []
    unit = units[0] if units else next((u for u in ctx.units if u.kind in INPATIENT), None)
    if unit is None or nurse is None:
        return
    start = ctx.now - timedelta(minutes=22)
    placement = _placement_at(random.Random(0), unit, start, set())
    if placement is None:
        return
    bht = ctx.first_staff(unit, "bht") or nurse
    doctor = ctx.first_staff(unit, "clinician")
    if doctor is None:
        return
    with clock.replaying_at(start + timedelta(seconds=40)):
        episode = services.start_episode(
            placement.episode.person,
            actor=nurse.user,
            kind=EpisodeKind.SECLUSION,
            reason=REASONS[0],
            alternatives_tried=STEPS,
            release_criteria=CRITERIA,
            started_at=start,
            ordered_by=doctor,
            staff=_involved(ctx, unit, start),
        )
    observed = start + timedelta(minutes=12)
    with clock.replaying_at(observed + timedelta(seconds=30)):
        services.record_monitoring(
            episode, actor=bht.user, condition="Pacing in the seclusion room", observed_at=observed
        )


def load(ctx: DemoContext) -> None:
    """A few months of episodes per inpatient unit, two of them with a late face-to-face, and
    one active now."""
    rng = ctx.rng("restraint")
    late_left = LATE_FACE_TO_FACE
    for unit in ctx.units:
        if unit.kind not in INPATIENT:
            continue
        taken: set[int] = set()
        # Earliest first: a person is in one episode at a time.
        wanted = PER_UNIT.get(ctx.scale, 6)
        moments = sorted(
            ctx.now - timedelta(days=rng.uniform(1, HISTORY_DAYS)) for _ in range(wanted * 3)
        )
        made = 0
        for start in moments:
            if made >= wanted:
                break
            start = start.replace(second=0, microsecond=0)
            placement = _placement_at(rng, unit, start, taken)
            if placement is None:
                continue
            kind = KINDS[made % len(KINDS)]
            late = late_left > 0 and kind != EpisodeKind.PHYSICAL_HOLD
            episode = _run(rng, ctx, unit, placement, start, kind, late)
            if episode is not None:
                made += 1
                taken.add(placement.episode.person_id)
                if late:
                    late_left -= 1
    _active_now(ctx)
