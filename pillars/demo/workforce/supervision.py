"""Demo supervision: a year of sessions between demo-supervisor and their supervisees, weekly
during initial certification and monthly after, one supervisee off cadence for the last weeks,
action items carried and closed, supervised work hours month by month toward NCPS, and a
signed verification letter for demo-peer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from pillars.core import clock, policy
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import Staff
from pillars.workforce.models import CertificationRule, SupervisionSession
from pillars.workforce.services import supervision as services

TOPICS = [
    "Boundaries",
    "Self-care",
    "Sharing one's story with purpose",
    "Documentation in peer language",
    "Working with the care team",
    "Hard conversations",
    "Community resources",
]
ITEMS = [
    "Read the ethics chapter before next time",
    "Try the grounding exercise after hard shifts",
    "Bring one note to review together",
    "Shadow a community outreach visit",
]


def _month_ends(first: date, last: date) -> list[tuple[date, date]]:
    out, cursor = [], first.replace(day=1)
    while cursor <= last:
        nxt = (cursor + timedelta(days=32)).replace(day=1)
        out.append((max(cursor, first), min(nxt - timedelta(days=1), last)))
        cursor = nxt
    return out


def _hold(
    supervisor: Staff, supervisee: Staff, started: datetime, kind: str, n: int, close: bool
) -> SupervisionSession:
    items = list(services.ActionItem.objects.filter(supervisee=supervisee, closed_at=None))
    with clock.replaying_at(started + timedelta(minutes=70)):
        session = services.record_session(
            actor=supervisor.user,
            supervisees=[supervisee],
            kind=kind,
            started_at=started,
            minutes=60 if n % 3 else 45,
            is_face_to_face=n % 5 != 2,
            topics=[TOPICS[n % len(TOPICS)], TOPICS[(n + 3) % len(TOPICS)]],
            notes="Talked through the week; what went well and what to try next.",
            action_items=[services.NewActionItem(supervisee, ITEMS[n % len(ITEMS)])]
            if n % 2 == 0
            else [],
            close_items=items if close else [],
            sign=True,
        )
    with clock.replaying_at(started + timedelta(days=1, hours=2)):
        session = services.sign_session(session, actor=supervisee.user)
    return session


@with_demo_staff("demo-supervisor")
def load(ctx: DemoContext, supervisor: Staff) -> None:
    policy.forget(supervisor.user)
    today = clock.organization_today(ctx.now)
    start = today - timedelta(days=364)
    supervisees = list(
        Staff.objects.filter(supervisor=supervisor, exited_on__isnull=True).order_by("pk")[:8]
    )
    peer = ctx.demo_staff.get("demo-peer")
    rng = ctx.rng("supervision")
    ncps = CertificationRule.objects.get(code="ncps")
    for index, staff in enumerate(supervisees):
        policy.forget(staff.user)
        is_peer = "peer" in staff.role_codes()
        first = max(start, staff.hired_on)
        # demo-peer works toward NCPS (weekly); other peers are certified (monthly).
        status = "initial" if staff == peer or not is_peer else "certified"
        with clock.replaying_at(datetime.combine(first, datetime.min.time(), ctx.now.tzinfo)):
            services.set_profile(
                staff,
                actor=supervisor.user,
                status=status,
                target=ncps if is_peer else None,
            )
        step = 7 if status == "initial" else 30
        # The last supervisee listed has had no session for the last five weeks: off cadence.
        stop = today - timedelta(days=35 if index == len(supervisees) - 1 else 1)
        day, n = first + timedelta(days=rng.randint(1, 5)), 0
        while day <= stop:
            started = datetime.combine(day, datetime.min.time(), ctx.now.tzinfo).replace(
                hour=14 + rng.randint(0, 2)
            )
            kind = ("supportive", "clinical", "administrative")[n % 3]
            _hold(supervisor, staff, started, kind, n, close=n % 2 == 1)
            day += timedelta(days=step + rng.choice([0, 0, 1, -1]))
            n += 1
        if is_peer:
            for month_start, month_end in _month_ends(first, today - timedelta(days=1)):
                with clock.replaying_at(
                    datetime.combine(month_end, datetime.min.time(), ctx.now.tzinfo)
                    + timedelta(days=1, hours=9)
                ):
                    days = (month_end - month_start).days + 1
                    services.record_work_hours(
                        staff,
                        actor=supervisor.user,
                        period_start=month_start,
                        period_end=month_end,
                        hours=Decimal(min(150, 5 * days)),
                        note="Peer services under supervision",
                    )
    if peer is not None and peer in supervisees:
        with clock.replaying_at(ctx.now - timedelta(days=3)):
            services.sign_letter(
                peer,
                actor=supervisor.user,
                rule=ncps,
                period_start=max(start, peer.hired_on),
                period_end=today - timedelta(days=4),
                credential=supervisor.job_title or "Peer Support Supervisor",
            )
