"""A surveyor's audit of the recovery rules at their edges (recovery capital scoring, plans,
referrals' response and follow-up dates): each test names the fact and the edge it pins."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.recovery.services import referrals as services
from pillars.recovery.tests.test_referrals import refer

pytestmark = pytest.mark.django_db


def test_a_referral_is_overdue_only_once_its_due_day_has_ended_in_the_units_zone(
    world: World,
) -> None:
    """The response due date is the unit's local day (it was counted from the unit's today):
    at 20:00 on the due day in Chicago (already the next day in UTC) the service still has
    four hours to answer; the peer is alerted from local midnight on."""
    made = refer(world)
    assert made.made_in_unit is not None
    assert made.due_on is not None
    zone = ZoneInfo(made.made_in_unit.time_zone)
    end_of_due_day = datetime.combine(
        made.due_on + timedelta(days=1), time(0), tzinfo=zone
    ).astimezone(UTC)  # the worker's clock is UTC
    evening = services.sweep_overdue(end_of_due_day - timedelta(hours=4))
    assert (evening.claimed, evening.alerts) == (0, 0)
    assert not Alert.objects.exists()
    after = services.sweep_overdue(end_of_due_day)
    assert (after.claimed, after.alerts) == (1, 1)
