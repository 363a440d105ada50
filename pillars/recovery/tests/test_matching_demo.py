"""The matching demo: peer profiles with varied sharing, open requests and a chosen match, all
through the services, the same from the same seed."""

from __future__ import annotations

import pytest

from pillars.demo import generator
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
