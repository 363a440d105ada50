"""Demo data for peer matching: every peer specialist keeps a profile that shares some
attributes and keeps others private; on a couple of units a person has an open request for a
peer, and on one a person has chosen their peer (who now has them on their caseload). All of it
is written through the matching services, deterministic from ``ctx.rng("matching")``."""

from __future__ import annotations

from pillars.core.errors import Conflict, ValidationError
from pillars.demo.incidents.context import DemoContext
from pillars.people.models import Placement, Staff
from pillars.recovery.models.matching import (
    SHAREABLE,
    AgeBand,
    Availability,
    LivedExperienceArea,
    PeerGender,
    RecoveryPathway,
)
from pillars.recovery.services import matching as services

LANGUAGES = ["Spanish", "Vietnamese", "American Sign Language", "Haitian Creole", "Somali"]
INTROS = [
    "I found my footing through running and a Tuesday night group; happy to walk with you.",
    "Eight years in recovery. I know the benefits maze and I like a good cup of coffee.",
    "I came back from a long stretch without housing. Ask me about starting over.",
    "Recovery for me is music, my kids and showing up. Let's figure out yours.",
]
# How many requests stay open for the demo, and how many end with the person's choice.
OPEN_REQUESTS = 2
CHOSEN = 1


def _profile(ctx: DemoContext, peer: Staff, n: int) -> None:
    rng = ctx.rng(f"matching:{n}")
    values = {
        "lived_experience": sorted(rng.sample(LivedExperienceArea.values, rng.randint(1, 3))),
        "recovery_pathway": rng.choice(RecoveryPathway.values),
        "languages": ["English", *rng.sample(LANGUAGES, rng.randint(0, 1))],
        "gender": rng.choice(PeerGender.values),
        "age_band": rng.choice(AgeBand.values[1:]),
        "availability": sorted(rng.sample(Availability.values, 2)),
        "intro": INTROS[n % len(INTROS)],
    }
    # Varied sharing: everyone shares languages; the rest is each peer's own choice.
    shares = ["languages"] + [a for a in SHAREABLE if a != "languages" and rng.random() < 0.6]
    services.save_peer_profile(
        peer,
        actor=peer.user,
        values=values,
        shares=shares,
        is_accepting=rng.random() < 0.9,
    )


def load(ctx: DemoContext) -> None:
    """Peer profiles, open requests and a chosen match, through the services."""
    rng = ctx.rng("matching")
    peers: dict[int, Staff] = {}
    for unit in ctx.units:
        for peer in ctx.staff_by_unit.get(unit.code, {}).get("peer", []):
            peers[peer.pk] = peer
    for n, pk in enumerate(sorted(peers)):
        _profile(ctx, peers[pk], n)
    opened = chosen = 0
    for unit in ctx.units:
        nurses = ctx.staff_by_unit.get(unit.code, {}).get("nurse", [])
        if not nurses or not ctx.staff_by_unit.get(unit.code, {}).get("peer"):
            continue
        persons = [
            p.episode.person
            for p in Placement.objects.current()
            .filter(unit=unit)
            .select_related("episode__person")
            .order_by("episode__person__record_number")[:4]
        ]
        for person in persons:
            if opened >= OPEN_REQUESTS + CHOSEN:
                return
            prefs = {
                "languages": rng.sample(LANGUAGES, 1) if rng.random() < 0.4 else [],
                "lived_experience": rng.sample(LivedExperienceArea.values, 1),
                "availability": rng.sample(Availability.values, 1),
            }
            nurse = nurses[0]
            try:
                request = services.open_match_request(
                    person, actor=nurse.user, preferences=prefs, note=""
                )
            except ValidationError:
                continue
            opened += 1
            if chosen < CHOSEN and request.candidates.exists():
                first = request.candidates.order_by("rank").first()
                try:
                    services.choose_peer(
                        request,
                        actor=nurse.user,
                        peer=first.peer,  # type: ignore[union-attr]
                        chosen_by_person=True,
                    )
                    chosen += 1
                except (ValidationError, Conflict):
                    continue
            break  # one request per unit
