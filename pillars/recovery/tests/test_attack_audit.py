"""An attacker's audit of the recovery API: what a valid token of a low-privilege role, or a
tablet's replayed queue, tries beyond the permission matrix and the fuzz run."""

from __future__ import annotations

from pillars.core.tests.api_support import api_as
from pillars.people.testing import World
from pillars.recovery.services import referrals as referral_services


def test_the_referral_list_pages_through_every_referral_oldest_first(world: World) -> None:
    peer = world.user("peer")
    made = [
        referral_services.log_outside(
            world.person_a, actor=peer, organization=f"Org {n}", reason="housing"
        )
        for n in range(3)
    ]
    api = api_as(peer)

    first = api.get("/referrals", {"limit": 2})
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["next_cursor"]
    second = api.get("/referrals", {"limit": 2, "cursor": body["next_cursor"]})
    assert second.status_code == 200, second.content
    seen = [r["public_id"] for r in body["items"] + second.json()["items"]]
    assert second.json()["next_cursor"] is None
    assert sorted(seen) == sorted(str(r.public_id) for r in made)
