"""An attacker's audit of the recovery API: what a valid token of a low-privilege role, or a
tablet's replayed queue, tries beyond the permission matrix and the fuzz run."""

from __future__ import annotations

import pytest

from pillars.core.tests.api_support import api_as
from pillars.people.testing import World
from pillars.recovery.hsds import sample
from pillars.recovery.models import Address, Location
from pillars.recovery.services import directory as directory_services
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


@pytest.mark.django_db
@pytest.mark.parametrize("with_service", [False, True])
def test_a_later_partial_package_cannot_store_a_confidential_shelters_address(
    world: World, with_service: bool
) -> None:
    """A shelter's service flagged confidential makes every place it is delivered at
    confidential (hsds/README.md). A later package of those places and their addresses alone
    (a partial update, which an import allows; the service is not in it, so its flag is not
    either) must not store their streets and coordinates: never held, never shown, sent or
    exported."""
    admin = world.user("admin")
    tables = sample.rows(30)
    for row in tables["location"]:
        row["x_confidential"] = "false"  # flagged through its service only
    directory_services.import_package(sample.csv_files(tables), actor=admin, commit=True)
    hidden = {str(loc.public_id) for loc in Location.objects.filter(x_confidential=True)}
    assert hidden
    places = [r for r in tables["location"] if r["id"] in hidden]
    streets = [r for r in tables["address"] if r["location_id"] in hidden]
    shelters = [r for r in tables["service"] if r["x_confidential"] == "true"]
    partial = sample.csv_files(
        {
            "organization": tables["organization"],
            # The shelter's service again, flagged, without its links to its places.
            "service": shelters if with_service else [],
            "location": places,
            "address": streets,
        }
    )
    report = directory_services.import_package(partial, actor=admin, commit=True)
    assert report.committed, report.summary()
    assert not Address.objects.filter(location__public_id__in=hidden).exists()
    assert Location.objects.filter(public_id__in=hidden, x_confidential=True).count() == len(hidden)
    exported = directory_services.export_package(actor=admin)
    text = b"".join(exported.values()).decode()
    for row in streets:
        assert row["address_1"] not in text
