"""A surveyor's audit of the restraint rules at their edges: the report's month held to the
storable years, back-filled monitoring checks that must be visible and explained, a person
turning 18 during an episode."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from pillars.incidents.models import EpisodeKind, MonitoringCheck, RestraintOrder
from pillars.incidents.services import restraint as svc
from pillars.people.models import Episode, Placement
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO).astimezone(UTC)
MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _placed_long_ago(world: World) -> None:
    early = datetime(2025, 1, 1, tzinfo=UTC)
    Episode.objects.update(admitted_at=early, recorded_at=early)
    Placement.objects.update(started_at=early)


def _start(world: World, kind: str = EpisodeKind.SECLUSION, at: datetime = START) -> Any:
    with time_machine.travel(at, tick=False):
        return svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=kind,
            reason="Struck a peer twice and kept going",
            release_criteria="Calm for 10 minutes",
        )


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "10000-01"])
def test_report_month_at_the_calendars_edge_is_not_an_error(
    world: World, signed_in: Any, month: str
) -> None:
    client = signed_in("director")
    url = reverse("incidents:restraint-report")
    response = client.get(url, {"month": month, "unit": str(world.unit_a.public_id)})
    assert response.status_code == 200


def test_a_17_year_old_turning_18_during_the_episode_gets_adult_renewals(world: World) -> None:
    world.person_a.date_of_birth = date(2008, 3, 11)
    world.person_a.save(update_fields=["date_of_birth"])
    late = datetime(2026, 3, 10, 22, 30, tzinfo=CHICAGO).astimezone(UTC)
    episode = _start(world, at=late)
    first = RestraintOrder.objects.get(episode=episode)
    assert (first.age_years, first.limit_minutes) == (17, 120)
    # 00:15 on the 11th in Chicago: 18 today, though still the 11th 05:15 in UTC.
    with time_machine.travel(late + timedelta(minutes=105), tick=False):
        renewal = svc.renew_order(episode, actor=world.user("clinician"))
    assert (renewal.age_years, renewal.limit_minutes) == (18, 240)


def test_a_back_filled_monitoring_check_needs_a_reason_and_is_flagged(
    world: World, signed_in: Any
) -> None:
    """DESIGN.md rule 1 and the back-fill fact: a check entered long after the moment it
    claims needs a reason and is shown as a late entry; one entered on time is not flagged."""
    episode = _start(world, at=START)
    bht = world.user("bht")
    with time_machine.travel(START + 14 * MIN, tick=False):
        on_time = svc.record_monitoring(
            episode, actor=bht, condition="Pacing", observed_at=START + 5 * MIN
        )
    entered = START + 45 * MIN
    with time_machine.travel(entered, tick=False):
        with pytest.raises(ValidationError) as refused:
            svc.record_monitoring(
                episode, actor=bht, condition="Quiet", observed_at=START + 20 * MIN
            )
        assert "note" in refused.value.message_dict
        assert MonitoringCheck.objects.filter(episode=episode).count() == 1
        late = svc.record_monitoring(
            episode,
            actor=bht,
            condition="Quiet",
            observed_at=START + 20 * MIN,
            note="Written up after the code on the other hall",
        )
        assert (on_time.is_late_entry, late.is_late_entry) == (False, True)
        body = signed_in("nurse").get(
            reverse("incidents:restraint-detail", kwargs={"public_id": episode.public_id})
        )
    text = body.content.decode()
    assert text.count("late entry") == 1
    assert "12:45" in text  # when it was entered, in the unit's time
    # The API says so too, with the reason.
    from pillars.core.tests.api_support import api_as

    with time_machine.travel(entered, tick=False):
        read = api_as(world.user("nurse")).get(f"/restraint/{episode.public_id}")
    assert read.status_code == 200, read.content
    checks = {c["public_id"]: c for c in read.json()["checks"]}
    assert checks[str(late.public_id)]["is_late_entry"] is True
    assert checks[str(late.public_id)]["note"] == "Written up after the code on the other hall"
    assert checks[str(on_time.public_id)]["is_late_entry"] is False


def test_a_notification_entered_after_its_deadline_as_sent_on_time_is_flagged(
    world: World, signed_in: Any
) -> None:
    """A guardian notice entered 30 hours after the incident, saying it was sent at hour 2:
    on time by its sent time, but a late entry the page must show (DESIGN.md rule 1)."""
    from pillars.incidents.services import incidents as isvc
    from pillars.incidents.services.incidents import IncidentDetails

    occurred = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    bht = world.user("bht")
    with time_machine.travel(occurred + 10 * MIN, tick=False):
        details = IncidentDetails(
            type="fall",
            occurred_at=occurred,
            location="Hall",
            narrative="Slipped.",
            persons=[world.person_a],
        )
        incident = isvc.submit_incident(
            isvc.create_draft(world.unit_a, details, actor=bht), actor=bht
        )
    n = incident.notifications.get()
    with time_machine.travel(occurred + timedelta(hours=30), tick=False):
        isvc.record_notification_sent(
            n, actor=world.user("nurse"), sent_at=occurred + timedelta(hours=2), note="Phoned"
        )
        page = signed_in("nurse").get(
            reverse("incidents:incident-detail", args=[incident.public_id])
        )
    text = page.content.decode()
    assert "Sent on time" in text
    assert "late entry" in text
    from pillars.core.tests.api_support import api_as

    with time_machine.travel(occurred + timedelta(hours=30), tick=False):
        read = api_as(world.user("nurse")).get(f"/incidents/{incident.public_id}")
    assert read.status_code == 200, read.content
    (notice,) = read.json()["notifications"]
    assert notice["is_late"] is False
    assert notice["is_late_entry"] is True
    assert notice["recorded_at"] is not None


def test_a_renewed_hold_past_the_states_15_minutes_is_over_the_state_limit(world: World) -> None:
    """The stricter state's rule: a physical hold lasts at most 15 minutes in all. Renewing
    the order does not make a 20-minute hold lawful: it is over the state limit from minute 15
    (not a second before), and the sweep's deadlines include that moment."""
    from pillars.incidents.models import UnitRuleProfile, ViolationKind

    UnitRuleProfile.objects.create(unit=world.unit_a, profile_code="state-strict", chosen_at=START)
    hold = _start(world, kind=EpisodeKind.PHYSICAL_HOLD)
    with time_machine.travel(START + 10 * MIN, tick=False):
        svc.record_monitoring(hold, actor=world.user("bht"), condition="Struggling")
    with time_machine.travel(START + 14 * MIN, tick=False):
        svc.renew_order(hold, actor=world.user("clinician"))
    loaded = svc.load_episode(hold.pk)
    limit = START + 15 * MIN
    assert limit in loaded.deadlines()
    at_limit = [v.kind for v in loaded.violations_at(limit)]
    over = [
        v
        for v in loaded.violations_at(START + 20 * MIN)
        if v.kind == ViolationKind.OVER_STATE_TOTAL
    ]
    assert ViolationKind.OVER_STATE_TOTAL not in at_limit
    assert [v.at for v in over] == [limit]


def test_a_sweep_at_the_exact_deadline_still_alerts_the_miss_a_moment_later(
    world: World,
) -> None:
    """At the monitoring deadline itself the check is still on time, so a sweep then alerts
    nothing; the deadline must stay due, so that a sweep a minute later alerts the missed
    check (not only once the face-to-face falls due, 45 minutes on)."""
    from pillars.people.models import Alert

    episode = _start(world)
    due = START + 15 * MIN
    assert episode.sweep_due_at == due
    assert (svc.sweep_restraint(due).claimed, Alert.objects.count()) == (1, 0)
    later = svc.sweep_restraint(due + MIN)
    assert later.alerts == 1
    assert "No monitoring" in Alert.objects.get().message


def test_an_alert_due_in_the_repeated_hour_says_which_one(world: World) -> None:
    """On the night the clocks go back, 01:05 happens twice in Chicago: the alert says "01:05
    CDT" (the first) so the shift lead cannot read it as the second, as the pages do."""
    from pillars.people.models import Alert

    start = datetime(2026, 11, 1, 0, 50, tzinfo=CHICAGO).astimezone(UTC)
    _start(world, at=start)
    svc.sweep_restraint(start + 20 * MIN)
    message = Alert.objects.get().message
    assert "due 01:05 CDT" in message


def test_an_overdue_notice_due_in_the_repeated_hour_says_which_one(world: World) -> None:
    from pillars.incidents.services import incidents as isvc
    from pillars.incidents.services.incidents import IncidentDetails
    from pillars.people.models import Alert

    occurred = datetime(2026, 10, 31, 1, 5, tzinfo=CHICAGO).astimezone(UTC)
    bht = world.user("bht")
    with time_machine.travel(occurred + 10 * MIN, tick=False):
        details = IncidentDetails(
            type="fall",
            occurred_at=occurred,
            location="Hall",
            narrative="Slipped.",
            persons=[world.person_a],
        )
        isvc.submit_incident(isvc.create_draft(world.unit_a, details, actor=bht), actor=bht)
    due = occurred + timedelta(hours=24)  # 01:05 CDT on 1 November, the first 01:05
    isvc.sweep_notifications(due + 30 * MIN)
    assert {a.message.split("(due ")[1][:16] for a in Alert.objects.all()} == {"Nov 01 01:05 CDT"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # A 16-year-old would be held 4 hours on one order: the federal rule allows 2.
        ({"adult_age": 16}, "adult_age"),
        # A 5-year-old would be held 2 hours on one order: the federal rule allows 1.
        ({"child_age": 5}, "child_age"),
    ],
)
def test_a_profile_may_not_loosen_the_federal_ages(
    world: World, changes: dict[str, Any], field: str
) -> None:
    from pillars.incidents.models import RuleProfile

    cms = RuleProfile.objects.get(code="cms-hospital", is_current=True)
    with pytest.raises(ValidationError) as refused:
        svc.change_profile(cms, actor=world.user("admin"), **changes)
    assert field in refused.value.message_dict
    assert RuleProfile.objects.get(code="cms-hospital", is_current=True).version == cms.version


@pytest.mark.parametrize(
    "changes",
    [
        {"adult_age": 21},  # stricter: 18 to 20 kept to the 2-hour order
        {"child_age": 12},  # stricter: 9 to 11 kept to the 1-hour order
        {"adult_age": 16, "adult_limit_minutes": 120},  # 16 and 17: still 2 hours
    ],
)
def test_a_profile_may_move_the_ages_where_that_is_stricter(
    world: World, changes: dict[str, Any]
) -> None:
    from pillars.incidents.models import RuleProfile

    cms = RuleProfile.objects.get(code="cms-hospital", is_current=True)
    assert svc.change_profile(cms, actor=world.user("admin"), **changes).version == cms.version + 1
