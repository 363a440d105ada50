"""The organization's day, not UTC's, at 21:00 in Chicago (03:00 UTC, already tomorrow in UTC):
expiry reminders, credential states, future-date refusals, finished quarters, the ladder's
recognitions and the supervision pages' zone (DESIGN.md rule 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from pillars.core.tests.api_support import api_as
from pillars.people.alerts import Alert
from pillars.people.testing import World
from pillars.workforce.models.ladder import LadderCriterion
from pillars.workforce.models.recognition import Recognition
from pillars.workforce.models.trainings import Course
from pillars.workforce.selectors.ladder import recognitions
from pillars.workforce.selectors.retention import workforce_view
from pillars.workforce.services import credentials as services
from pillars.workforce.services.credentials import sweep_expiry_reminders
from pillars.workforce.services.recognition import give_recognition
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.tests.test_floor import hold
from pillars.workforce.views.supervision import _zone

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # 21:00 on 7 December in Chicago
TODAY = date(2026, 12, 7)  # the organization's day at EVENING
TOMORROW = date(2026, 12, 8)  # UTC's day at EVENING


def test_the_expiry_reminder_waits_for_its_day_in_the_organizations_zone(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        card = hold(world, "bht", "cpr-bls", date(2026, 12, 1), expires=date(2027, 3, 8))
        assert card.next_reminder_on == TOMORROW  # 90 days before expiry
        sweep_expiry_reminders()
        assert not Alert.objects.filter(subject_kind="workforce.credentials").exists()


def test_a_credential_expiring_today_is_not_shown_expired_in_the_evening(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        hold(world, "bht", "cpr-bls", date(2025, 12, 1), expires=TODAY)
        answer = api_as(world.user("bht")).get("/workforce/credentials/mine")
    assert answer.status_code == 200, answer.content
    [row] = answer.json()
    assert row["state"] != "expired"


def test_tomorrows_dates_are_refused_in_the_evening(world: World) -> None:
    admin = world.user("admin")
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as course:
            record_completion(
                world.staff["bht"],
                actor=admin,
                course=Course.objects.get(code="observation"),
                completed_on=TOMORROW,
            )
        assert "completed_on" in course.value.message_dict
        with pytest.raises(ValidationError) as card:
            hold(world, "bht", "cpr-bls", TOMORROW)
        assert "issued_on" in card.value.message_dict


def test_a_waiver_to_the_end_of_today_is_accepted_in_the_evening(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        card = hold(world, "bht", "cpr-bls", date(2025, 12, 1), expires=TODAY)
        waived = services.waive_credential(
            card, actor=world.user("admin"), reason="Renewal in the mail", until=TODAY
        )
    assert waived.waived_until == TODAY


def test_the_quarter_is_not_finished_until_it_ends_in_the_organizations_zone(
    world: World,
) -> None:
    with time_machine.travel(datetime(2027, 1, 1, 3, 0, tzinfo=UTC), tick=False):
        view = workforce_view(world.user("director"))
    assert view.quarters[-1].key == "2026-Q3"


def test_a_recognition_given_this_evening_counts_on_the_ladder_today(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        give_recognition(world.staff["nurse"], actor=world.user("bht"), message="Stayed late")
    assert Recognition.objects.filter(given_to=world.staff["nurse"]).count() == 1
    criterion = LadderCriterion(kind="recognitions", threshold=Decimal(1))
    assert recognitions(world.staff["nurse"], criterion, TODAY).value == 1


def test_the_supervision_pages_fall_back_to_the_organizations_zone() -> None:
    assert _zone(None) == "America/Chicago"


def test_an_exit_interview_dated_tomorrow_is_refused_in_the_evening(world: World) -> None:
    from pillars.people.testing import make_unit
    from pillars.workforce.services.retention import record_exit_interview
    from pillars.workforce.tests.test_retention import hire

    unit, _ = make_unit(world.site, "e")
    gone = hire("t-gone", unit, date(2025, 1, 1), date(2026, 11, 30), "relocated")
    with time_machine.travel(EVENING, tick=False):
        with pytest.raises(ValidationError) as refused:
            record_exit_interview(gone, actor=world.user("admin"), held_on=TOMORROW)
        assert "held_on" in refused.value.message_dict
        record_exit_interview(gone, actor=world.user("admin"), held_on=TODAY)
