"""A surveyor's audit of the workforce rules at their edges (credentials, CE, trainings,
supervision, caseloads, retention): each test names the fact and the edge it pins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from pillars.core import clock
from pillars.people.alerts import Alert
from pillars.people.models import Staff
from pillars.people.testing import World
from pillars.workforce.models.supervision import CertificationRule
from pillars.workforce.models.trainings import Course
from pillars.workforce.selectors import credentials as credential_selectors
from pillars.workforce.services import credentials as credential_services
from pillars.workforce.services import supervision
from pillars.workforce.services.credentials import sweep_expiry_reminders
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.tests.test_floor import hold

pytestmark = pytest.mark.django_db


def _reminders(world: World, who: str = "bht") -> list[Alert]:
    return list(
        Alert.objects.filter(recipient=world.staff[who], subject_kind="workforce.credentials")
    )


def test_a_back_filled_older_completion_does_not_remind_of_a_renewed_training(
    world: World,
) -> None:
    """The newest completion is the one reminded: entering an older certificate after the
    renewal (a back-filled record) must not send "expiring within 30 days" for a training
    the staff member has already renewed."""
    today = clock.organization_today()
    course = Course.objects.get(code="observation")  # renews every 12 months
    admin = world.user("admin")
    record_completion(
        world.staff["bht"], actor=admin, course=course, completed_on=today - timedelta(days=5)
    )
    older = record_completion(
        world.staff["bht"], actor=admin, course=course, completed_on=today - timedelta(days=350)
    )
    sweep_expiry_reminders()
    assert _reminders(world) == []
    older.refresh_from_db()
    assert older.next_reminder_on is None


def test_a_back_filled_older_credential_does_not_remind_of_a_renewed_one(world: World) -> None:
    """Likewise for credentials: the card recorded late, of an issue the staff member has
    already renewed, stays quiet."""
    today = clock.organization_today()
    hold(world, "bht", "nci", today - timedelta(days=5))  # 12 months
    older = hold(world, "bht", "nci", today - timedelta(days=350))
    sweep_expiry_reminders()
    assert _reminders(world) == []
    older.refresh_from_db()
    assert older.next_reminder_on is None


CHICAGO = ZoneInfo("America/Chicago")  # the test units' zone


def test_a_letter_counts_the_sessions_of_its_days_in_the_supervisees_zone(world: World) -> None:
    """The ledger page shows sessions on the supervisee's unit's days; the letter a supervisor
    signs for "1 to 31 January" must count the same sessions: the one held at 20:00 on
    31 January in Chicago (02:00 on 1 February in UTC) in, the one at 19:00 on 31 December
    (01:00 on 1 January in UTC) out."""
    peer = world.staff["peer"]
    _signed_session(world, datetime(2026, 1, 31, 20, 0, tzinfo=CHICAGO), minutes=60)
    _signed_session(world, datetime(2025, 12, 31, 19, 0, tzinfo=CHICAGO), minutes=30)
    with time_machine.travel(datetime(2026, 2, 10, 15, 0, tzinfo=UTC), tick=False):
        letter = supervision.sign_letter(
            peer,
            actor=world.user("supervisor"),
            rule=CertificationRule.objects.get(code="ncps"),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            credential="LCSW",
        )
    assert letter.session_hours == Decimal("1.00")
    assert supervision.hours_between(peer, date(2025, 12, 31), date(2025, 12, 31)) == (
        Decimal("0.50"),
        Decimal(0),
    )


def _signed_session(world: World, started: datetime, minutes: int) -> Any:
    with time_machine.travel(started + timedelta(minutes=minutes), tick=False):
        session = supervision.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"]],
            kind="supportive",
            started_at=started,
            minutes=minutes,
            sign=True,
        )
        return supervision.sign_session(session, actor=world.user("peer"))


def test_the_overdue_supervision_alert_names_the_due_day_of_the_supervisees_zone(
    world: World,
) -> None:
    """A weekly session held at 19:00 on Monday 2 March in Chicago is due again on Monday
    9 March at 20:00 local (the clocks went forward on 8 March), which is 10 March in UTC: the
    alert must name 9 March, the day the supervisor and supervisee see on their pages."""
    _signed_session(world, datetime(2026, 3, 2, 19, 0, tzinfo=CHICAGO), minutes=60)
    supervision.sweep_overdue(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    [alert] = Alert.objects.filter(
        recipient=world.staff["peer"], subject_kind="workforce.supervision"
    )
    assert "was due by 2026-03-09" in alert.message


def test_a_back_filled_supervision_session_is_flagged_as_a_late_entry(
    world: World, signed_in: Any
) -> None:
    """A session counts toward the cadence and the supervised-hours ledger; one written up
    days after it was held (back-filled before a survey, say) must say so on its page and in
    the lists, with when it was entered (DESIGN.md rule 1: late entries are flagged, never
    hidden). One written up the same day is not."""
    held = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(held + timedelta(days=5), tick=False):
        late = supervision.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"]],
            kind="supportive",
            started_at=held,
            minutes=60,
            sign=True,
        )
        on_time = supervision.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"]],
            kind="clinical",
            started_at=held + timedelta(days=5, hours=-2),
            minutes=60,
            sign=True,
        )
    assert late.is_late_entry
    assert not on_time.is_late_entry
    client = signed_in("supervisor")
    page = client.get(reverse("workforce:session-detail", args=[late.public_id]))
    assert page.status_code == 200
    assert "Late entry" in page.content.decode()
    assert "2026-11-07" in page.content.decode()  # when it was entered
    page = client.get(reverse("workforce:session-detail", args=[on_time.public_id]))
    assert "Late entry" not in page.content.decode()
    week = client.get(reverse("workforce:supervision-week")).content.decode()
    assert week.count("Late entry") == 1
    from pillars.core.tests.api_support import api_as

    listed = api_as(world.user("supervisor")).get("/workforce/supervision/sessions")
    assert listed.status_code == 200, listed.content
    flags = {s["public_id"]: s["is_late_entry"] for s in listed.json()["items"]}
    assert flags == {str(late.public_id): True, str(on_time.public_id): False}


def test_a_waiver_that_ends_before_the_credential_does_not_lapse_it_in_compliance(
    world: World,
) -> None:
    """A waiver extends a credential, it never shortens it: a crisis-intervention card in
    force for another year, waived for five days (its verification awaited), is still in force
    on the sixth day, on the floor and in the compliance figures alike."""
    today = clock.organization_today()
    bht = world.staff["bht"]
    card = hold(world, "bht", "nci", today - timedelta(days=10))
    waived = credential_services.waive_credential(
        card, actor=world.user("admin"), reason="Verification awaited", until=today + timedelta(5)
    )
    later = today + timedelta(days=6)
    assert waived.is_current_on(later)
    staff = Staff.objects.filter(pk=bht.pk)
    for rows in (
        credential_selectors.credential_compliance(staff, later),
        credential_selectors.compliance_rows(staff, later),
    ):
        assert "Nonviolent crisis intervention" not in rows[bht.pk].lapsed
