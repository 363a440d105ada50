"""Role-drift months are local: a note signed at 22:00 on 31 March on a Chicago unit is a March
note (it is 1 April in UTC), one signed at 00:30 on 1 April local time is April's (still
31 March in UTC). The organization's months are counted in its default zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from pillars.people.testing import World
from pillars.workforce.selectors.drift import activity_mix, drift_months, zone_for
from pillars.workforce.tests.test_supervision import _encounter

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")  # the test units' zone


def test_a_note_late_on_the_last_evening_of_the_month_counts_in_that_month(world: World) -> None:
    peer = world.staff["peer"]
    assert zone_for([peer.pk]) == CHICAGO
    # 22:00 on 31 March in Chicago (CDT, UTC-5) is 03:00 on 1 April in UTC.
    _encounter(world, datetime(2026, 3, 31, 22, 0, tzinfo=CHICAGO), flags=1)
    # 00:30 on 1 April in Chicago is 05:30 UTC on 1 April; 23:30 UTC on 31 March is 18:30 local.
    _encounter(world, datetime(2026, 4, 1, 0, 30, tzinfo=CHICAGO))
    _encounter(world, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    march, april = drift_months([peer.pk], date(2026, 3, 1), date(2026, 4, 1))
    assert (march.month, march.notes, march.flags) == (date(2026, 3, 1), 2, 1)
    assert (april.month, april.notes, april.flags) == (date(2026, 4, 1), 1, 0)
    # In UTC the same notes would split 1 and 2: the zone is what decides.
    utc_march, utc_april = drift_months([peer.pk], date(2026, 3, 1), date(2026, 4, 1), UTC)
    assert (utc_march.notes, utc_april.notes) == (1, 2)
    # The activity mix of March alone takes the same two notes.
    mix = activity_mix([peer.pk], date(2026, 3, 1), date(2026, 3, 1))
    assert sum(row.count for row in mix if not row.in_taxonomy) == 2


@override_settings(PILLARS_DEFAULT_TIME_ZONE="Pacific/Honolulu")
def test_the_organizations_months_are_in_its_zone(world: World, signed_in: Any) -> None:
    assert zone_for(None) == ZoneInfo("Pacific/Honolulu")
    # 20:00 on 31 March in Honolulu (UTC-10) is 06:00 on 1 April in UTC.
    _encounter(world, datetime(2026, 3, 31, 20, 0, tzinfo=ZoneInfo("Pacific/Honolulu")))
    [march] = drift_months(None, date(2026, 3, 1), date(2026, 3, 1), organization_id=world.org.pk)
    assert march.notes == 1
    with time_machine.travel(datetime(2026, 4, 1, 6, 30, tzinfo=UTC), tick=False):
        page = signed_in("director").get(reverse("workforce:drift-org"))
    assert page.status_code == 200
    assert page.context["months"][-1].month == date(2026, 3, 1)  # still March in Honolulu
