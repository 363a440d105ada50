"""Demo workforce data: each employed staff member's required credentials, most in force and
verified, some expiring within 90 days, a few lapsed; CE hours for the peers. Written through
the workforce services as the demo administrator. The demo BHT's crisis-intervention
credential is left to the gating loader (it lapses, and blocks a 1:1 on the demo board)."""

from __future__ import annotations

from datetime import date, timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import Staff
from pillars.workforce.models.credentials import CeCategory, CredentialType
from pillars.workforce.services import credentials as services

# (share of credentials) lapsed, then expiring within 90 days; the rest run for long.
LAPSED, EXPIRING = 0.06, 0.10
METHODS = ("primary source website", "original seen", "issuer's letter")


def employed(ctx: DemoContext) -> list[Staff]:
    seen: dict[int, Staff] = {}
    for by_role in ctx.staff_by_unit.values():
        for members in by_role.values():
            for member in members:
                seen.setdefault(member.pk, member)
    return sorted(seen.values(), key=lambda s: s.pk)


def issued_for(kind: CredentialType, today: date, wanted_end: date) -> date:
    """An issue date whose expiry under ``kind`` falls near ``wanted_end``."""
    issued = today - timedelta(days=30)
    for back in range(0, 1500, 7):
        candidate = today - timedelta(days=back)
        end = kind.expires_on_for(candidate)
        if end is not None and end <= wanted_end:
            return candidate
        issued = candidate
    return issued


@with_demo_staff("demo-admin")
def load(ctx: DemoContext, admin: Staff) -> None:
    rng = ctx.rng("workforce-credentials")
    today = clock.organization_today(ctx.now)
    kinds = list(
        CredentialType.objects.filter(is_current=True, is_active=True).prefetch_related(
            "required_for"
        )
    )
    demo_bht = ctx.demo_staff.get("demo-bht")
    for member in employed(ctx):
        roles = set(member.roles.values_list("code", flat=True))
        for kind in kinds:
            if not roles & {r.code for r in kind.required_for.all()}:
                continue
            if demo_bht is not None and member.pk == demo_bht.pk and kind.code == "nci":
                continue
            draw = rng.random()
            if draw < LAPSED:
                end = today - timedelta(days=rng.randint(5, 120))
            elif draw < LAPSED + EXPIRING:
                end = today + timedelta(days=rng.randint(3, 88))
            else:
                end = today + timedelta(days=rng.randint(120, 600))
            issued = issued_for(kind, today, end)
            credential = services.record_credential(
                member,
                actor=admin.user,
                credential_type=kind,
                issued_on=issued,
                number=f"{kind.code.upper()}-{rng.randint(10000, 99999)}",
                expires_on=end if kind.expiry_rule == "after_issue" else None,
            )
            if rng.random() < 0.85:
                services.verify_credential(credential, actor=admin.user, method=rng.choice(METHODS))
    categories = {c.code: c for c in CeCategory.objects.all()}
    for member in employed(ctx):
        if not member.roles.filter(code="peer").exists():
            continue
        for n in range(rng.randint(3, 8)):
            code = rng.choice(["peer_recovery", "peer_recovery", "ethics", "general"])
            services.record_ce(
                member,
                actor=admin.user,
                category=categories[code],
                title=f"{categories[code].name} workshop {n + 1}",
                completed_on=today - timedelta(days=rng.randint(10, 600)),
                hours=rng.choice([1, 2, 3, 6]),
            )
