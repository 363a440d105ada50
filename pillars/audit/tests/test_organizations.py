"""Two organizations in one database (people.tenancy): each one's privacy officer reads the
audit pages with nothing of the other organization's staff on them. The permission matrix asks
every route as another organization's staff; these are what the pages list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import client_of
from pillars.audit.models import ChainCheck
from pillars.core import clock
from pillars.people.models import Organization, Site, Staff
from pillars.people.testing import StaffFactory, World, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere_privacy(world: World) -> Staff:
    """The privacy officer of a second organization."""
    other = Organization.objects.create(name="Elsewhere Health")
    unit, _ = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    return StaffFactory.create(username="elsewhere-privacy", roles=["privacy"], units=[unit])


def test_the_verifier_page_lists_the_runs_of_the_officers_own_organization(
    world: World, elsewhere_privacy: Staff
) -> None:
    now = clock.now()
    ChainCheck.objects.create(
        requested_by=world.user("privacy"),
        requested_at=now - timedelta(minutes=5),
        finished_at=now,
        is_intact=True,
        finding="Audit chain intact (first organization's run)",
    )
    ChainCheck.objects.create(
        requested_by=elsewhere_privacy.user,
        requested_at=now - timedelta(minutes=2),
        finished_at=now,
        is_intact=True,
        finding="Audit chain intact (second organization's run)",
    )
    theirs = client_of(elsewhere_privacy).get("/audit/verify/").content.decode()
    assert "second organization" in theirs
    assert world.user("privacy").username not in theirs
    assert "first organization" not in theirs
    mine = client_of(world.staff["privacy"]).get("/audit/verify/").content.decode()
    assert world.user("privacy").username in mine
    assert "elsewhere-privacy" not in mine
