"""Demo data for incident reports: a few months of incidents on each unit across types and
states, through the real services (so every row is audited as it would be on the floor), with
some notifications sent late or not at all, debriefs, and the staff exposure they write."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.incidents.models import DeescalationStep, Notification
from pillars.incidents.models.incidents import IncidentType
from pillars.incidents.services import incidents as services
from pillars.people.models import Placement, Staff, Unit

DAYS = 90
# Incidents per unit over the period.
PER_UNIT = {"small": 12, "large": 40}

NARRATIVES = {
    IncidentType.AGGRESSION_STAFF: "Loud at medication time; struck out at a staff member.",
    IncidentType.AGGRESSION_PEER: "Argument over the phone schedule; pushed a peer.",
    IncidentType.SELF_HARM: "Found scratching a forearm with a broken comb during a check.",
    IncidentType.SUICIDE_ATTEMPT: "Found with a ligature in the bathroom; removed at once.",
    IncidentType.ELOPEMENT: "Followed a visitor to the unit door and tried to leave.",
    IncidentType.FALL: "Slipped getting out of bed at night; helped up by staff.",
    IncidentType.CONTRABAND: "A lighter found in a jacket pocket after a pass.",
    IncidentType.MEDICATION_REFUSAL: "Declined evening medication twice and spat out a tablet.",
    IncidentType.SEXUAL_SAFETY: "Unwanted touching of a peer in the day room reported.",
    IncidentType.PROPERTY_DAMAGE: "Kicked a hole in the dayroom wall after a phone call.",
    IncidentType.OTHER: "Fire alarm pulled; unit evacuated to the courtyard.",
}
LOCATIONS = ["Day room", "Hallway", "Bedroom", "Bathroom", "Dining room", "Unit door", "Courtyard"]
LEARNED = [
    "Noise at shift change is a trigger; offer headphones earlier.",
    "Offering a choice of two activities worked better than a direct instruction.",
    "Needed a second staff member sooner; call for help at the first raised voice.",
    "The person asked to be told before room searches; agreed to do so.",
]


def _persons_on(unit: Unit, moment: object) -> list[int]:
    return list(
        Placement.objects.filter(unit=unit, started_at__lte=moment)
        .exclude(ended_at__lt=moment)
        .values_list("episode__person_id", flat=True)
    )


def load(ctx: DemoContext) -> None:
    """Incidents across types and states on every unit with floor staff."""
    from pillars.people.models import PersonServed

    rng = ctx.rng("incidents")
    steps = list(DeescalationStep.objects.filter(is_active=True))
    types = list(IncidentType)
    for unit in ctx.units:
        staff = ctx.staff_by_unit.get(unit.code, {})
        reporters: list[Staff] = staff.get("bht", []) + staff.get("nurse", [])
        supervisors = staff.get("supervisor", [])
        nurses = staff.get("nurse", [])
        if not reporters:
            continue
        for n in range(PER_UNIT.get(ctx.scale, 12)):
            occurred = ctx.now - timedelta(days=rng.uniform(0.2, DAYS), minutes=rng.randint(0, 600))
            person_ids = _persons_on(unit, occurred)
            if not person_ids:
                continue
            kind = types[n % len(types)]
            reporter = rng.choice(reporters)
            others = [s for s in reporters if s != reporter]
            person = PersonServed.objects.get(pk=rng.choice(person_ids))
            details = services.IncidentDetails(
                type=kind,
                occurred_at=occurred,
                location=rng.choice(LOCATIONS),
                narrative=NARRATIVES[kind],
                persons=[person],
                staff_involved=[reporter],
                witness_staff=rng.sample(others, k=min(1, len(others))),
                steps=rng.sample(steps, k=min(len(steps), rng.randint(1, 3))),
            )
            user = reporter.user
            with clock.replaying_at(occurred + timedelta(minutes=rng.randint(20, 90))):
                incident = services.create_draft(unit, details, actor=user)
                if kind in (IncidentType.AGGRESSION_STAFF, IncidentType.FALL) or rng.random() < 0.2:
                    services.add_injury(
                        incident,
                        actor=user,
                        staff=reporter if kind == IncidentType.AGGRESSION_STAFF else None,
                        person=None if kind == IncidentType.AGGRESSION_STAFF else person,
                        severity=rng.choice(["minor", "minor", "moderate", "serious"]),
                        description="Bruise" if kind != IncidentType.SELF_HARM else "Scratches",
                        treatment="First aid on the unit",
                    )
                # The most recent few stay drafts, as on any unit.
                if occurred > ctx.now - timedelta(days=1) and n % 3 == 0:
                    continue
                incident = services.submit_incident(incident, actor=user)
            for notification in incident.notifications.all():
                if not nurses or rng.random() < 0.1:
                    continue  # never sent: flagged as overdue
                # Most go out in time; about one in five late.
                late = rng.random() < 0.2
                window = notification.due_at - occurred
                sent = occurred + (window * rng.uniform(1.1, 2.0) if late else window * 0.5)
                if sent > ctx.now:
                    continue
                with clock.replaying_at(sent + timedelta(minutes=5)):
                    services.record_notification_sent(
                        notification, actor=rng.choice(nurses).user, sent_at=sent, note="Phoned"
                    )
            if not supervisors or occurred > ctx.now - timedelta(days=3):
                continue
            sup = rng.choice(supervisors).user
            with clock.replaying_at(occurred + timedelta(days=1)):
                incident = services.start_review(incident, actor=sup, note="Reading the report.")
                services.record_debrief(
                    incident,
                    actor=sup,
                    kind=rng.choice(["person_served", "staff"]),
                    held_at=occurred + timedelta(hours=20),
                    participants=f"{person.display_name}, {reporter.display_name}",
                    learned=rng.choice(LEARNED),
                )
            if occurred < ctx.now - timedelta(days=10):
                with clock.replaying_at(occurred + timedelta(days=3)):
                    services.close_incident(
                        incident, actor=sup, note="Reviewed with the team; plan updated."
                    )
        ctx.progress(f"incidents on {unit.code}")
    _demo_draft(ctx, steps)
    # The worker alerted the older overdue notifications at the time (those alerts were seen
    # long ago); the last day's are left for ``pillars worker`` to alert now.
    Notification.objects.filter(
        sent_at__isnull=True, due_at__lt=ctx.now - timedelta(days=1)
    ).update(alerted_at=F("due_at") + timedelta(minutes=1))


def _demo_draft(ctx: DemoContext, steps: list[DeescalationStep]) -> None:
    """The demo BHT has one draft waiting, so "My drafts" is not empty when they sign in."""
    from pillars.people.models import PersonServed

    bht = ctx.demo_staff.get("demo-bht")
    unit = bht.home_units.first() if bht is not None else None
    if bht is None or unit is None:
        return
    occurred = ctx.now - timedelta(minutes=50)
    person_ids = _persons_on(unit, occurred)
    if not person_ids:
        return
    details = services.IncidentDetails(
        type=IncidentType.ELOPEMENT,
        occurred_at=occurred,
        location="Unit door",
        narrative=NARRATIVES[IncidentType.ELOPEMENT],
        persons=[PersonServed.objects.get(pk=min(person_ids))],
        staff_involved=[bht],
        steps=steps[:2],
    )
    with clock.replaying_at(ctx.now - timedelta(minutes=10)):
        services.create_draft(unit, details, actor=bht.user)
