"""Demo data for the recovery app's encounters area: a year of demo-peer's encounters with the
persons on their caseload (or, without one, the persons on their units), a few with clinical
wording the scope guard flags, one group session, and a video session scheduled for tomorrow.

Everything is written through the services, each encounter replayed at the moment it was
signed; the peer's scope is today's (their caseload now), which is who the demo shows."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock, policy
from pillars.demo.incidents.context import DemoContext
from pillars.people import selectors as people_selectors
from pillars.people import services as people_services
from pillars.people.models import CaseloadAssignment, PersonServed, Program
from pillars.recovery.models import Goal, PeerServiceRule
from pillars.recovery.services import encounters as services

PERSONS = 5
PER_PERSON = {"small": 6, "large": 24}

DONE = [
    "Walked to the corner store together and practised asking for a bus schedule.",
    "Shared part of my own recovery story about the first months after leaving treatment.",
    "Looked up two food pantries near the person's apartment and wrote down their hours.",
    "Talked through the week ahead and what helped last time things felt heavy.",
    "Worked on the wellness plan: the person added morning walks as a daily step.",
    "Went with the person to the benefits office and waited together for the appointment.",
]
PURPOSE = [
    "The person wants to get to work on their own by spring.",
    "Building trust; the person asked how others got through the first weeks.",
    "The person said running out of food is their biggest worry right now.",
]
RESPONSE = [
    "Said they felt more confident and want to try the bus alone next week.",
    "Laughed about the long wait and said it helped not to be alone there.",
    "Chose two steps to try before we meet again.",
]
NEXT = [
    "Meet Thursday at the library.",
    "Call on Monday to hear how the bus trip went.",
    "Bring the wellness plan to the next visit.",
]
# Wording the scope guard marks, kept with the note for supervision.
FLAGGED = [
    "The patient was non-compliant with the group schedule.",
    "Told him he should take his medication every morning.",
    "She is an addict and her risk score is high.",
]
ACTIVITIES = [
    "sharing-story",
    "coaching-goals",
    "resource-navigation",
    "relationship-building",
    "wellness-planning",
    "system-navigation",
]


def _persons(ctx: DemoContext, peer_user: object) -> list[PersonServed]:
    peer = ctx.demo_staff["demo-peer"]
    today = clock.organization_today(ctx.now)
    mine = (
        CaseloadAssignment.objects.filter(staff=peer, kind="peer", started_on__lte=today)
        .exclude(ended_on__lt=today)
        .values("person_id")
    )
    persons = list(PersonServed.objects.filter(pk__in=mine).order_by("pk")[:PERSONS])
    if not persons:
        persons = list(
            people_selectors.persons_visible_to(peer_user, action="recovery.write_encounter")[
                :PERSONS
            ]
        )
    return persons


def _video_rule(ctx: DemoContext) -> None:
    """The demo program's video service (no billing, so goals stay optional)."""
    admin = ctx.demo_staff.get("demo-admin")
    program = Program.objects.order_by("pk").first()
    if admin is None or program is None or PeerServiceRule.objects.filter(program=program).exists():
        return
    people_services.save_reference(
        PeerServiceRule(
            program=program,
            bills_peer_services=False,
            service_code="H0038",
            video_url_template="https://video.example.org/room/{session}",
        ),
        actor=admin.user,
    )


def load(ctx: DemoContext) -> None:
    """demo-peer's year of encounters, a group and a video session."""
    peer = ctx.demo_staff.get("demo-peer")
    if peer is None:
        return
    user = peer.user
    policy.forget(user)
    _video_rule(ctx)
    persons = _persons(ctx, user)
    if not persons:
        return
    rng = ctx.rng("encounters")
    count = PER_PERSON.get(ctx.scale, PER_PERSON["small"])
    day = timedelta(days=1)
    for n, person in enumerate(persons):
        goals = list(Goal.objects.filter(person=person, status="active").order_by("pk")[:3])
        for k in range(count):
            # Spread over the past year, newest last; the first person's latest one is today.
            days_ago = int(360 * (count - k - 1) / max(count, 1)) + rng.randint(0, 6)
            if n == 0 and k == count - 1:
                days_ago = 0
            started = (ctx.now - days_ago * day - timedelta(hours=rng.randint(1, 5))).replace(
                second=0, microsecond=0
            )
            minutes = rng.choice([10, 20, 25, 30, 45, 60])
            flagged = (n + k) % 9 == 4
            modality = rng.choice(["in_person", "in_person", "phone", "video", "text"])
            setting = {"phone": "community", "video": "virtual", "text": "virtual"}.get(
                modality, rng.choice(["unit", "community", "home"])
            )
            with clock.replaying_at(started + timedelta(minutes=minutes + 10)):
                services.record_encounter(
                    person,
                    actor=user,
                    modality=modality,
                    setting=setting,
                    started_at=started,
                    minutes=minutes,
                    what_was_done=rng.choice(FLAGGED) if flagged else rng.choice(DONE),
                    purpose=rng.choice(PURPOSE),
                    person_response=rng.choice(RESPONSE),
                    next_steps=rng.choice(NEXT),
                    activities=rng.sample(ACTIVITIES, rng.randint(1, 2)),
                    goal=rng.choice(goals) if goals else None,
                    written_with_person=rng.random() < 0.4,
                    credential="CPS",
                )
    started = (ctx.now - 2 * day).replace(hour=15, minute=0, second=0, microsecond=0)
    with clock.replaying_at(started + timedelta(minutes=70)):
        services.record_group(
            [
                services.Attendee(
                    p, i != 1, "Shared what a good morning looks like." if i != 1 else ""
                )
                for i, p in enumerate(persons[:4])
            ],
            actor=user,
            topic="Routines that help",
            modality="in_person",
            setting="unit",
            started_at=started,
            minutes=60,
            what_was_done="Mutual-support group: each person named one routine that helps.",
            purpose="Peer connection and daily structure.",
            activities=["mutual-support-group"],
            credential="CPS",
        )
    tomorrow = (ctx.now + day).replace(hour=16, minute=0, second=0, microsecond=0)
    session = services.schedule_virtual_session(
        persons[0], actor=user, scheduled_at=tomorrow, minutes_planned=30
    )
    if session.join_url:
        services.mark_link_sent(session, actor=user)
