"""Demo workforce data: wellbeing. The organization's employee assistance contact and
self-care resources (reference data, audited), and a year of check-ins through the service:
some answered invitations (the exposures come from the incident and restraint demo, through the
incidents hook), some declined, the demo technician's left open so the invitation shows, and
quarterly check-ins on staff's own initiative, enough on each unit for the aggregates to show."""

from __future__ import annotations

from datetime import datetime, timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.people.models import Organization
from pillars.people.services import save_reference
from pillars.workforce.models.wellbeing import (
    CheckInInstrument,
    EmployeeAssistance,
    Invitation,
    InvitationStatus,
    SelfCareResource,
)
from pillars.workforce.selectors.wellbeing import completed_quarters
from pillars.workforce.services import wellbeing as services

RESOURCES = [
    ("Peer debrief circle", "Thursdays after day shift, in the staff lounge; come as you are."),
    ("Five-minute reset", "A breathing and grounding routine you can do on a break."),
    ("Quiet room", "The room behind the nurses' station is kept free for staff to step away."),
]


def _answers(rng: object, level: int) -> dict[str, int]:
    import random

    assert isinstance(rng, random.Random)
    scale = [0, 25, 50, 75, 100]
    return {str(n): scale[max(0, min(4, level + rng.choice((-1, 0, 0, 1))))] for n in range(1, 14)}


def load(ctx: DemoContext) -> None:
    rng = ctx.rng("wellbeing")
    admin = ctx.demo_staff.get("demo-admin")
    org = Organization.objects.order_by("pk").first()
    if admin is None or org is None:
        return
    if not EmployeeAssistance.objects.filter(organization=org).exists():
        save_reference(
            EmployeeAssistance(
                organization=org,
                name="Employee Assistance Program",
                phone="1-800-555-0142",
                hours="24 hours a day, 7 days a week",
                note="Free and confidential; up to six counselling sessions a year.",
            ),
            actor=admin.user,
        )
        for n, (title, text) in enumerate(RESOURCES):
            save_reference(
                SelfCareResource(organization=org, title=title, description=text, sort_order=n),
                actor=admin.user,
            )
    instrument = CheckInInstrument.objects.get(code="cbi-work-client")
    demo_bht = ctx.demo_staff.get("demo-bht")
    for invitation in Invitation.objects.filter(status=InvitationStatus.OPEN).select_related(
        "staff__user"
    ):
        if demo_bht is not None and invitation.staff_id == demo_bht.pk:
            continue
        roll = rng.random()
        moment = min(invitation.invited_at + timedelta(days=rng.randrange(1, 5)), ctx.now)
        with clock.replaying_at(moment):
            if roll < 0.6:
                services.answer_check_in(
                    actor=invitation.staff.user,
                    instrument=instrument,
                    answers=_answers(rng, rng.choice((1, 2, 2, 3))),
                    invitation=invitation,
                )
            elif roll < 0.8:
                services.decline_invitation(invitation, actor=invitation.staff.user)
    staff = {
        member.pk: member
        for by_role in ctx.staff_by_unit.values()
        for members in by_role.values()
        for member in members
    }
    for quarter in completed_quarters(clock.organization_today(ctx.now)):
        for member in staff.values():
            if rng.random() > 0.7 or member.hired_on >= quarter.start:
                continue
            day = quarter.start + timedelta(days=rng.randrange(1, 85))
            if member.exited_on is not None and member.exited_on <= day:
                continue
            moment = datetime.combine(day, datetime.min.time(), tzinfo=ctx.now.tzinfo)
            with clock.replaying_at(moment + timedelta(hours=rng.randrange(14, 22))):
                services.answer_check_in(
                    actor=member.user,
                    instrument=instrument,
                    answers=_answers(rng, rng.choice((0, 1, 1, 2, 2, 3))),
                )
