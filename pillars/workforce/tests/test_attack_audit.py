"""An attacker's and a surveyor's audit of workforce off the main paths: copies that leave
(the verification letter), and days that are the unit's or the organization's, not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from pypdf import PdfReader

from pillars.people.testing import World
from pillars.workforce.models.supervision import CertificationRule
from pillars.workforce.models.trainings import Course
from pillars.workforce.models.wellbeing import CheckIn
from pillars.workforce.selectors import wellbeing as wellbeing_selectors
from pillars.workforce.selectors.recognition import recognition_counts
from pillars.workforce.services import supervision
from pillars.workforce.services.gating import check
from pillars.workforce.services.recognition import give_recognition
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.tests.test_floor import hold
from pillars.workforce.tests.test_survey_audit import _signed_session
from pillars.workforce.tests.test_wellbeing import cbi

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")  # the test units' zone and the default zone


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_printed_letter_lists_the_sessions_it_counts_on_the_supervisees_days(
    world: World,
) -> None:
    """The letter for 1 to 31 January counts the session held at 20:00 on 31 January in
    Chicago (1 February in UTC) and not the one at 19:00 on 31 December (1 January in UTC); the
    printed list of sessions behind the figure must be those same sessions, on their local
    days, or the certifying body reads a total its list contradicts."""
    from pillars.workforce import supervision_pdf

    _signed_session(world, datetime(2026, 1, 31, 20, 0, tzinfo=CHICAGO), minutes=60)
    _signed_session(world, datetime(2025, 12, 31, 19, 0, tzinfo=CHICAGO), minutes=30)
    # Signed at 19:30 on 10 February in Chicago: 11 February in UTC.
    with time_machine.travel(datetime(2026, 2, 11, 1, 30, tzinfo=UTC), tick=False):
        letter = supervision.sign_letter(
            world.staff["peer"],
            actor=world.user("supervisor"),
            rule=CertificationRule.objects.get(code="ncps"),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            credential="LCSW",
        )
        text = _text(supervision_pdf.export(world.user("peer"), letter))
    assert "Signed supervision sessions (1)" in text
    assert "2026-01-31" in text
    assert "2025-12-31" not in text
    assert "2026-01-01" not in text
    assert "February 10, 2026" in text


def test_the_floor_gate_lets_a_credential_through_to_the_end_of_its_expiry_day(
    world: World,
) -> None:
    """A credential is in force through its expiry day, a day of the staff member's unit: at
    19:00 in Chicago on that day (already the next day in UTC) the gate must not block the
    technician from a 1:1; after midnight in Chicago it does."""
    bht = world.staff["bht"]
    hold(world, "bht", "cpr-bls", date(2026, 1, 5))
    record_completion(
        bht,
        actor=world.user("admin"),
        course=Course.objects.get(code="observation"),
        completed_on=date(2026, 1, 5),
    )
    nci = hold(world, "bht", "nci", date(2025, 4, 1))
    assert nci.expires_on is not None
    last_day = nci.expires_on
    evening = datetime(last_day.year, last_day.month, last_day.day, 19, 0, tzinfo=CHICAGO)
    with time_machine.travel(evening, tick=False):
        assert check(bht, "one_to_one") == []
    with time_machine.travel(evening + timedelta(hours=6), tick=False):
        [problem] = check(bht, "one_to_one")
    assert problem.blocks


def test_a_check_in_counts_in_the_quarter_of_its_organizations_day(world: World) -> None:
    """A check-in answered at 20:00 on 31 March in Chicago belongs to the first quarter (it is
    1 April in UTC); one answered at 19:00 on 31 December belongs to the last quarter of the
    year before. The aggregate must count them on the organization's days."""
    for answered in (
        datetime(2026, 3, 31, 20, 0, tzinfo=CHICAGO),
        datetime(2025, 12, 31, 19, 0, tzinfo=CHICAGO),
    ):
        CheckIn.objects.create(
            staff=world.staff["bht"],
            instrument=cbi(),
            answered_at=answered,
            answers={},
            scores={"work": 40.0, "client": 40.0},
            unit=world.unit_a,
            supervisor=world.staff["supervisor"],
        )
    with time_machine.travel(datetime(2026, 5, 12, 17, 0, tzinfo=UTC), tick=False):
        first = wellbeing_selectors.check_in_aggregates(
            world.user("director"), level="organization", quarter="2026-Q1"
        )
        last = wellbeing_selectors.check_in_aggregates(
            world.user("director"), level="organization", quarter="2025-Q4"
        )
    assert first.total.check_ins == 1
    assert last.total.check_ins == 1


def test_the_last_quarter_is_not_offered_until_it_has_ended_in_the_organizations_zone(
    world: World,
) -> None:
    """At 19:00 on 31 March in Chicago the first quarter is still running there: it is not a
    completed quarter yet (its figures would change before the day is out)."""
    with time_machine.travel(datetime(2026, 3, 31, 19, 0, tzinfo=CHICAGO), tick=False):
        with pytest.raises(Http404):
            wellbeing_selectors.check_in_aggregates(world.user("director"), quarter="2026-Q1")
        newest = wellbeing_selectors.check_in_aggregates(world.user("director"))
    assert newest.quarter.key == "2025-Q4"


def test_a_recognition_counts_in_the_month_of_the_organizations_day(world: World) -> None:
    """Thanks given at 20:00 on 31 March in Chicago (April in UTC) is a March recognition on
    the leaders' monthly counts."""
    with time_machine.travel(datetime(2026, 3, 31, 20, 0, tzinfo=CHICAGO), tick=False):
        give_recognition(world.staff["nurse"], actor=world.user("bht"), message="Stayed late")
    counts = recognition_counts(world.user("director"))
    assert counts.by_month == [("2026-03", 1, 0)]
