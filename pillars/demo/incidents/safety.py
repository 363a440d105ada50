"""Demo data for the safety area of incidents: safety plans for a share of the persons on each
unit, written and signed through the services as if on the days they happened. Some plans have
a second version; plans written more than a month ago have their review overdue."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.incidents.models.safety import CRISIS_LINE
from pillars.incidents.services import safety as services
from pillars.people.models import Placement, Staff
from pillars.people.selectors import person_zone

# The share of persons on each unit who have a plan.
SHARE = 0.45
# Share of those whose plan was updated once (a second signed version).
UPDATED = 0.3
REVIEW_AFTER_DAYS = 30

WARNING_SIGNS = [
    "I stop answering texts from friends",
    "I can't sleep and keep pacing at night",
    "I start giving my things away",
    "I feel like a burden to everyone",
    "I skip meals and stay in bed",
    "Loud arguments at home",
    "Thinking the same dark thoughts over and over",
]
ON_MY_OWN = [
    "Take a hot shower",
    "Listen to my playlist with headphones",
    "Draw in my sketchbook",
    "Go for a walk around the block",
    "Slow breathing, counting to four",
    "Write down what I am feeling",
    "Play a game on my phone",
]
PEOPLE_PLACES = [
    "The public library",
    "My cousin's kitchen table",
    "The basketball court at the park",
    "Coffee shop on Main Street",
    "Church on Sunday",
    "The dog park",
]
HELPERS = ["My sister", "My aunt", "My best friend", "My neighbor", "My coach", "My grandfather"]
SAFER = [
    "My sister keeps my medicines and gives me one week at a time",
    "Remove the extra razors from the bathroom",
    "Ask my uncle to keep the car keys at night",
    "Stay away from the bridge on my walk home",
    "Lock box for medicines at home",
]
REASONS = [
    "My daughter",
    "My dog, Biscuit",
    "Finishing my GED",
    "Seeing the ocean again",
    "My mom needs me",
    "Playing music with my band",
    "My faith",
]


def _phone(rng: random.Random) -> str:
    return f"555-{rng.randint(100, 999):03d}-{rng.randint(1000, 9999):04d}"


def _content(rng: random.Random) -> dict[str, list[dict[str, str]]]:
    helpers = rng.sample(HELPERS, 2)
    return {
        "warning_signs": [{"text": t} for t in rng.sample(WARNING_SIGNS, 3)],
        "on_my_own": [{"text": t} for t in rng.sample(ON_MY_OWN, 3)],
        "people_places": [{"text": t} for t in rng.sample(PEOPLE_PLACES, 2)],
        "ask_for_help": [{"name": h, "phone": _phone(rng)} for h in helpers],
        "professionals": [
            {"name": "Unit nurses' station", "phone": _phone(rng)},
            dict(CRISIS_LINE),
        ],
        "safer_surroundings": [{"text": t} for t in rng.sample(SAFER, 2)],
        "reasons": [{"text": t} for t in rng.sample(REASONS, 2)],
    }


def _writers(ctx: DemoContext, unit_code: str) -> list[Staff]:
    roles = ctx.staff_by_unit.get(unit_code, {})
    for role in ("clinician", "nurse", "peer", "bht"):
        if roles.get(role):
            return roles[role]
    return []


def _write(person: Any, staff: Staff, moment: Any, content: Any, rng: random.Random) -> None:
    with clock.replaying_at(moment):
        today = clock.today_in(person_zone(person))
        version = services.save_draft(
            person,
            actor=staff.user,
            content=content,
            review_on=today + timedelta(days=REVIEW_AFTER_DAYS),
        )
    with clock.replaying_at(moment + timedelta(minutes=rng.randint(10, 40))):
        if rng.random() < 0.8:
            services.sign_plan(
                version,
                actor=staff.user,
                person_signature="tablet",
                typed_name=person.display_name,
            )
        else:
            services.sign_plan(version, actor=staff.user, person_signature="paper", attested=True)


def load(ctx: DemoContext) -> None:
    """Plans for about SHARE of each unit's census, dated between admission and now."""
    rng = ctx.rng("safety")
    for unit in ctx.units:
        writers = _writers(ctx, unit.code)
        if not writers:
            continue
        placements = (
            Placement.objects.filter(unit=unit, ended_at__isnull=True)
            .select_related("episode__person")
            .order_by("pk")
        )
        for placement in placements:
            if rng.random() >= SHARE:
                continue
            person = placement.episode.person
            earliest = max(placement.episode.admitted_at, ctx.now - timedelta(days=75))
            span = (ctx.now - earliest).total_seconds()
            if span < 3600 * 3:
                continue
            first = earliest + timedelta(seconds=rng.uniform(3600, span * 0.6))
            content = _content(rng)
            _write(person, rng.choice(writers), first, content, rng)
            if rng.random() < UPDATED and (ctx.now - first) > timedelta(hours=3):
                second = first + timedelta(
                    seconds=rng.uniform(3600, (ctx.now - first).total_seconds() - 3600)
                )
                content = dict(
                    content, warning_signs=[{"text": t} for t in rng.sample(WARNING_SIGNS, 4)]
                )
                _write(person, rng.choice(writers), second, content, rng)
