"""Two organizations in one database (people.tenancy): the workforce figures, lists and
contacts one organization's staff read count and name their own organization's staff only.
The permission matrix asks every route as another organization's staff; these are the reads
that name no record by public id (counts, the organization's figures, lists, a fallback)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import client_of
from pillars.core import clock
from pillars.people.models import Staff
from pillars.people.testing import Elsewhere, StaffFactory, World
from pillars.workforce.models.wellbeing import EmployeeAssistance
from pillars.workforce.selectors import recognition as recognition_selectors
from pillars.workforce.selectors import retention as retention_selectors
from pillars.workforce.selectors import wellbeing as wellbeing_selectors
from pillars.workforce.services import recognition as recognition_services
from pillars.workforce.tests.test_supervision import _encounter

pytestmark = pytest.mark.django_db


def test_recognition_counts_count_the_organizations_own_recognitions(
    world: World, elsewhere: Elsewhere
) -> None:
    recognition_services.give_recognition(
        world.staff["bht"], actor=world.user("nurse"), message="Thanks for the handoff."
    )
    for role in ("director", "supervisor"):
        counts = recognition_selectors.recognition_counts(elsewhere.staff[role].user)
        assert (counts.total, counts.by_month, counts.by_unit) == (0, [], [])
    page = client_of(elsewhere.staff["director"]).get("/workforce/recognition/counts/")
    assert "Unit A" not in page.content.decode()
    # The organization's own are counted as before.
    mine = recognition_selectors.recognition_counts(world.user("director"))
    assert (mine.total, mine.by_unit) == (1, [("Unit A", 1)])


def test_the_organizations_role_drift_counts_its_own_peers(
    world: World, elsewhere: Elsewhere
) -> None:
    from pillars.workforce.services import drift as drift_services

    _encounter(world, clock.now() - timedelta(hours=2), flags=1)
    drift_services.log_time(
        actor=world.user("peer"),
        worked_on=clock.today_in(world.unit_a.time_zone),  # the peer's home unit's day
        task="transport",
        minutes=90,
    )

    def figures(staff: Any) -> tuple[int, int, int, int]:
        page = client_of(staff).get("/workforce/drift/")
        assert page.status_code == 200
        months = page.context["months"]
        mix = page.context["mix"]
        return (
            sum(m.notes for m in months),
            sum(m.flags for m in months),
            sum(m.non_peer_minutes for m in months),
            sum(row.count for row in mix),
        )

    assert figures(elsewhere.staff["director"]) == (0, 0, 0, 0)
    assert figures(world.staff["director"]) == (1, 1, 90, 1)


def test_recent_exits_list_the_organizations_own_staff(world: World, elsewhere: Elsewhere) -> None:
    left = world.staff["bht"]
    Staff.objects.filter(pk=left.pk).update(
        exited_on=clock.organization_today() - timedelta(days=10), exit_reason="relocated"
    )
    since = clock.organization_today() - timedelta(days=365)
    assert retention_selectors.exits_visible_to(elsewhere.staff["director"].user, since) == []
    page = client_of(elsewhere.staff["director"]).get("/workforce/retention/exits/")
    assert page.status_code == 200
    assert left.display_name not in page.content.decode()
    [(staff, _)] = retention_selectors.exits_visible_to(world.user("director"), since)
    assert staff.pk == left.pk


def test_a_staff_member_without_a_home_unit_is_offered_their_own_organizations_assistance(
    world: World, elsewhere: Elsewhere
) -> None:
    """A float or a new hire has no home unit yet: the employee assistance line and self-care
    resources offered with their check-ins are their own organization's, never the first
    organization's in the database."""
    EmployeeAssistance.objects.create(
        organization=world.org, name="Test Health EAP", phone="555-0100"
    )
    theirs = EmployeeAssistance.objects.create(
        organization=elsewhere.org, name="Elsewhere EAP", phone="555-0200"
    )
    floater = StaffFactory.create(
        username="elsewhere-float", roles=["nurse"], organization=elsewhere.org
    )
    assert not floater.home_units.exists()
    assert wellbeing_selectors.support_for(floater.user).assistance == theirs
    page = client_of(floater).get("/workforce/wellbeing/mine/")
    assert page.status_code == 200
    assert "Test Health EAP" not in page.content.decode()
    assert "Elsewhere EAP" in page.content.decode()
