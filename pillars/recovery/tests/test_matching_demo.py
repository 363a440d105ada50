"""The matching demo: peer profiles with varied sharing, open requests and a chosen match, all
through the services; and the demo's recovery community center, whose participants are enrolled
with no bed, some on demo-peer's caseload (one demo load for both, to keep the suite fast)."""

from __future__ import annotations

import pytest

from pillars.demo import generator
from pillars.people.models import CaseloadAssignment, Placement, Unit
from pillars.recovery.models.matching import MatchRequest, MatchStatus, PeerProfile

pytestmark = pytest.mark.django_db


def test_demo_has_profiles_requests_and_a_choice() -> None:
    generator.generate(seed=11, rounds_days=0)
    profiles = list(PeerProfile.objects.all())
    assert profiles
    assert all("languages" in p.shared() for p in profiles)
    # Varied: not every peer shares the same attributes.
    assert len({tuple(sorted(p.shared())) for p in profiles}) > 1
    statuses = list(MatchRequest.objects.values_list("status", flat=True))
    assert statuses.count(MatchStatus.CHOSEN) == 1
    assert len([s for s in statuses if s in (MatchStatus.OPEN, MatchStatus.OFFERED)]) == 2
    chosen = MatchRequest.objects.get(status=MatchStatus.CHOSEN)
    assert chosen.assignment is not None
    assert chosen.assignment.staff == chosen.chosen_peer
    # The community program: participants, no beds, on demo-peer's caseload.
    center = Unit.objects.get(code="rcc")
    assert center.kind == "community"
    assert center.bed_count == 0
    enrolled = list(Placement.objects.current().filter(unit=center))
    assert len(enrolled) == 4
    assert all(p.bed_id is None for p in enrolled)
    on_caseload = CaseloadAssignment.objects.filter(
        staff__user__username="demo-peer",
        kind="peer",
        ended_on__isnull=True,
        person__episodes__placements__unit=center,
    )
    assert on_caseload.exists()
