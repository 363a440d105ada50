"""Demo data for the recovery app's plans area: for the persons on demo-peer's caseload (or,
without one, on demo-peer's units), goals in several life domains with steps and progress
notes, and a signed wellness plan that was later updated to a second signed version. Written
through the services as if on the days they happened; deterministic from ``ctx.rng("plans")``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import CaseloadAssignment, PersonServed, Placement, Staff
from pillars.recovery.services import plans as services

# Small scale: a handful of persons keeps the load to a few seconds.
PERSONS = {"small": 5, "large": 15}

GOALS = {
    "housing": (
        "Have a place of my own",
        ["Get on the housing list", "Save for the deposit", "Visit two apartments"],
    ),
    "work": (
        "Work part-time again",
        ["Update my resume", "Ask about the job training program", "Apply for three jobs"],
    ),
    "relationships": (
        "Spend Sundays with my kids",
        ["Call my daughter every week", "Plan one outing a month"],
    ),
    "health": (
        "Walk every day",
        ["Buy walking shoes", "Walk 15 minutes after lunch", "Walk with my neighbor on weekends"],
    ),
    "recovery": (
        "Stay connected to my recovery community",
        ["Go to two meetings a week", "Find a sponsor"],
    ),
    "community": (
        "Volunteer at the food bank",
        ["Call the volunteer office", "Go to the orientation"],
    ),
}
NOTES = [
    ("It is slow but I am doing it", 2),
    ("I did more than I thought I would this week", 3),
    ("Hard week, I missed some days", 2),
    ("Feeling good about this", 4),
    ("I did it, and I want to keep it going", 5),
]
TOOLBOX = [
    "Walk by the water",
    "Call my sister",
    "Music with headphones",
    "Cook a real meal",
    "Sit in the park",
    "Write in my journal",
    "Go to a meeting",
]
WHEN_WELL = ["Talkative and funny", "I get up early", "I make plans with friends", "Curious"]
EVERY_DAY = [
    "Breakfast before nine",
    "Take my medicine with breakfast",
    "Text my sponsor",
    "Ten minutes outside",
]
MIGHT_DO = ["Clean one room", "Call my mom", "Library on Saturdays"]
TRIGGERS = [
    "Arguments on the phone: hang up kindly and take a walk",
    "Payday: pay the rent first and call my sponsor",
    "Anniversary of my brother's death: spend it with family",
]
EARLY = ["I stop answering texts", "Sleeping all afternoon", "Skipping meals"]
BREAKING = [
    "I stop leaving the house: ask my peer specialist to visit",
    "Not sleeping for two nights: call my clinic the next morning",
]
CRISIS = [
    "My sister Dana and my peer specialist make decisions with me",
    "I prefer the crisis center on 5th Street to the emergency room",
    "Please look after my cat, Pepper",
]
AFTER = [
    "A quiet week with fewer appointments",
    "Dana stays over the first two nights",
    "Back to my meeting within a week",
]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _persons(ctx: DemoContext, peer: Staff) -> list[tuple[PersonServed, date]]:
    """demo-peer's open caseload (person, start), or the persons on demo-peer's units."""
    today = clock.organization_today(ctx.now)
    rows = (
        CaseloadAssignment.objects.filter(staff=peer, kind="peer", started_on__lte=today)
        .filter(ended_on__isnull=True)
        .select_related("person")
        .order_by("started_on", "pk")
    )
    found = [(a.person, a.started_on) for a in rows]
    if found:
        return found
    placements = (
        Placement.objects.filter(unit__in=peer.home_units.all(), ended_at__isnull=True)
        .select_related("episode__person")
        .order_by("pk")
    )
    return [(p.episode.person, p.started_at.date()) for p in placements]


def _pick(rng: random.Random, words: list[str], n: int) -> list[dict[str, str]]:
    return [{"text": t} for t in rng.sample(words, min(n, len(words)))]


def _plan_content(rng: random.Random) -> dict[str, Any]:
    return {
        "toolbox": _pick(rng, TOOLBOX, 4),
        "when_well": _pick(rng, WHEN_WELL, 2),
        "every_day": _pick(rng, EVERY_DAY, 3),
        "might_do": _pick(rng, MIGHT_DO, 2),
        "triggers": _pick(rng, TRIGGERS, 2),
        "early_warning": _pick(rng, EARLY, 2),
        "breaking_down": _pick(rng, BREAKING, 1),
        "crisis": _pick(rng, CRISIS, 2),
        "after_crisis": _pick(rng, AFTER, 2),
    }


def _write_plan(person: PersonServed, peer: Staff, day: date, content: Any, sign: bool) -> None:
    with clock.replaying_at(_at(day, 15)):
        version = services.save_wellness_draft(
            person, actor=peer.user, content=content, review_on=day + timedelta(days=90)
        )
    if sign:
        with clock.replaying_at(_at(day, 15) + timedelta(minutes=25)):
            services.sign_wellness_plan(
                version, actor=peer.user, person_signature="tablet", typed_name=person.display_name
            )


def _goals(rng: random.Random, person: PersonServed, peer: Staff, start: date, today: date) -> None:
    for domain in rng.sample(sorted(GOALS), 3):
        statement, steps = GOALS[domain]
        set_on = start + timedelta(days=rng.randint(0, max(0, (today - start).days // 3)))
        with clock.replaying_at(_at(set_on, 16)):
            goal = services.create_goal(
                person,
                actor=peer.user,
                domain=domain,
                statement=statement,
                target_on=set_on + timedelta(days=rng.choice([60, 90, 180])),
                steps=[{"text": s} for s in steps],
            )
        made = list(goal.steps.all())
        span = (today - set_on).days
        if span < 3:
            continue
        notes = sorted(rng.sample(range(1, span), min(len(NOTES), span - 1, rng.randint(2, 4))))
        for n, offset in enumerate(notes):
            day = set_on + timedelta(days=offset)
            with clock.replaying_at(_at(day, 17)):
                if n < len(made) and rng.random() < 0.8:
                    services.set_step_done(made[n], actor=peer.user, is_done=True)
                text, attainment = NOTES[min(n + rng.randint(0, 1), len(NOTES) - 1)]
                services.record_goal_progress(
                    goal,
                    actor=peer.user,
                    note=text,
                    attainment=attainment,
                    by_person=rng.random() < 0.3,
                )


@with_demo_staff("demo-peer")
def load(ctx: DemoContext, peer: Staff) -> None:
    """Goals and wellness plans for demo-peer's persons."""
    rng = ctx.rng("plans")
    today = clock.organization_today(ctx.now)
    for k, (person, started_on) in enumerate(_persons(ctx, peer)[: PERSONS.get(ctx.scale, 5)]):
        start = max(started_on, today - timedelta(days=200))
        if start >= today:
            start = today
        _goals(rng, person, peer, start, today)
        span = (today - start).days
        first_day = start + timedelta(days=min(span, rng.randint(0, 7)))
        content = _plan_content(rng)
        if k == 3:  # one plan still being written
            _write_plan(person, peer, first_day, content, sign=False)
            continue
        _write_plan(person, peer, first_day, content, sign=True)
        if span > 20:
            later = first_day + timedelta(days=rng.randint(10, span - 5))
            content = dict(
                content, triggers=_pick(rng, TRIGGERS, 3), early_warning=_pick(rng, EARLY, 3)
            )
            _write_plan(person, peer, later, content, sign=True)
