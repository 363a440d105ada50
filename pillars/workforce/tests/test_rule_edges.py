"""Credential and certification rules at their edges: what counts as one of a certification
rule's letters, the renewal day between two CE periods, overlapping supervised work, and the
supervision cadence judged on the supervisee's own days (DESIGN.md "Facts and defaults")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from pillars.core.errors import ValidationError
from pillars.people.models import Alert, Staff
from pillars.people.testing import World, make_staff
from pillars.workforce.models.credentials import CeCategory, CredentialType
from pillars.workforce.models.supervision import CertificationRule, SupervisedWorkHours
from pillars.workforce.selectors import credentials as credential_selectors
from pillars.workforce.selectors import supervision as selectors
from pillars.workforce.services import credentials as credential_services
from pillars.workforce.services import supervision as services

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def _supervised_by(world: World, username: str) -> Staff:
    """A further supervisor, now the peer's (the peer's supervisor changed)."""
    supervisor = make_staff(username, ["supervisor"], [world.unit_a])
    Staff.objects.filter(pk=world.staff["peer"].pk).update(supervisor=supervisor)
    return supervisor


def _letter(world: World, signer: Staff, rule: CertificationRule, start: date, end: date) -> None:
    services.sign_letter(
        world.staff["peer"],
        actor=signer.user,
        rule=rule,
        period_start=start,
        period_end=end,
        credential="LCSW",
    )


def _hours(world: World, signer: Staff, start: date, end: date, hours: str = "100") -> None:
    services.record_work_hours(
        world.staff["peer"],
        actor=signer.user,
        period_start=start,
        period_end=end,
        hours=Decimal(hours),
    )


# --- Letters toward a certification rule --------------------------------------------------------


def test_three_letters_are_three_signers(world: World) -> None:
    peer, first = world.staff["peer"], world.staff["supervisor"]
    ncps = CertificationRule.objects.get(code="ncps")
    with time_machine.travel(NOW, tick=False):
        _hours(world, first, date(2025, 1, 1), date(2025, 6, 30))
        for _ in range(3):  # one supervisor's letters are one supervisor's word
            _letter(world, first, ncps, date(2025, 1, 1), date(2025, 6, 30))
        [line] = selectors.ledger(peer, NOW.date(), [ncps])
        assert line.letters == 1
        assert not line.letters_met
        for name in ("t-second-supervisor", "t-third-supervisor"):
            _letter(world, _supervised_by(world, name), ncps, date(2025, 1, 1), date(2025, 6, 30))
        [line] = selectors.ledger(peer, NOW.date(), [ncps])
    assert line.letters == 3
    assert line.letters_met


def test_a_letter_counts_for_its_own_rule_within_the_window_once_signed(world: World) -> None:
    peer, supervisor = world.staff["peer"], world.staff["supervisor"]
    Staff.objects.filter(pk=peer.pk).update(hired_on=date(2014, 1, 1))
    peer.refresh_from_db()
    ncps = CertificationRule.objects.get(code="ncps")
    legacy = CertificationRule.objects.get(code="ncps-legacy")
    with time_machine.travel(NOW, tick=False):
        _hours(world, supervisor, date(2015, 1, 1), date(2015, 12, 31))
        _hours(world, supervisor, date(2025, 1, 1), date(2025, 6, 30))
        # Signed today, but it verifies hours of 2015: outside the five years NCPS counts.
        _letter(world, supervisor, ncps, date(2015, 1, 1), date(2015, 12, 31))
        # Hours inside the window, but verified for the earlier rule: not an NCPS letter.
        _letter(world, supervisor, legacy, date(2025, 1, 1), date(2025, 6, 30))
        [line] = selectors.ledger(peer, NOW.date(), [ncps])
        assert line.window_start == date(2021, 3, 18)
        assert line.letters == 0
        _letter(world, supervisor, ncps, date(2025, 1, 1), date(2025, 6, 30))
        [line] = selectors.ledger(peer, NOW.date(), [ncps])
        assert line.letters == 1
        # The ledger as it stood the day before: that letter was not signed yet.
        [before] = selectors.ledger(peer, NOW.date() - timedelta(days=1), [ncps])
    assert before.letters == 0


# --- CE hours: one renewal period each ----------------------------------------------------------


def test_ce_on_the_renewal_day_counts_toward_the_period_that_ends_that_day(world: World) -> None:
    peer = world.staff["peer"]
    state_peer = CredentialType.objects.get(code="state-peer", is_current=True)
    first = credential_services.record_credential(
        peer, actor=world.user("admin"), credential_type=state_peer, issued_on=date(2023, 9, 1)
    )
    renewal = credential_services.record_credential(
        peer, actor=world.user("admin"), credential_type=state_peer, issued_on=date(2025, 9, 1)
    )
    assert (first.expires_on, renewal.expires_on) == (date(2025, 9, 1), date(2027, 9, 1))
    ethics = CeCategory.objects.get(code="ethics")
    for on, hours in ((date(2025, 9, 1), "3"), (date(2025, 9, 2), "2")):
        credential_services.record_ce(
            peer,
            actor=world.user("peer"),
            category=ethics,
            title="Ethics in peer work",
            completed_on=on,
            hours=hours,
        )
    old = credential_selectors.ce_summary(first)
    new = credential_selectors.ce_summary(renewal)
    # The old credential is valid through its expiry day: that day's hours are the old period's.
    assert (old.starts_on, old.ends_on, old.total_earned) == (
        date(2023, 9, 1),
        date(2025, 9, 1),
        Decimal(3),
    )
    assert (new.starts_on, new.ends_on, new.total_earned) == (
        date(2025, 9, 2),
        date(2027, 9, 1),
        Decimal(2),
    )


def test_an_early_renewal_starts_its_period_after_the_old_one_ends(world: World) -> None:
    bht = world.staff["bht"]
    technician = CredentialType.objects.get(code="state-technician", is_current=True)
    first = credential_services.record_credential(
        bht, actor=world.user("admin"), credential_type=technician, issued_on=date(2024, 3, 1)
    )
    early = credential_services.record_credential(
        bht, actor=world.user("admin"), credential_type=technician, issued_on=date(2026, 2, 15)
    )
    general = CeCategory.objects.get(code="general")
    for on in (date(2026, 2, 20), date(2026, 3, 1), date(2026, 3, 2)):
        credential_services.record_ce(
            bht, actor=world.user("bht"), category=general, title="Course", completed_on=on, hours=1
        )
    old = credential_selectors.ce_summary(first)
    new = credential_selectors.ce_summary(early)
    assert (old.ends_on, old.total_earned) == (date(2026, 3, 1), Decimal(2))
    assert (new.starts_on, new.total_earned) == (date(2026, 3, 2), Decimal(1))


# --- Supervised work hours: a day counted once ------------------------------------------------


def test_work_hours_overlapping_recorded_days_are_refused(world: World) -> None:
    peer, supervisor = world.staff["peer"], world.staff["supervisor"]
    with time_machine.travel(NOW, tick=False):
        _hours(world, supervisor, date(2026, 2, 1), date(2026, 2, 28), "120")
        with pytest.raises(ValidationError) as refused:
            _hours(world, supervisor, date(2026, 2, 28), date(2026, 3, 6), "40")
        # A new supervisor recording the same days is refused as well.
        successor = _supervised_by(world, "t-next-supervisor")
        with pytest.raises(ValidationError):
            _hours(world, successor, date(2026, 2, 10), date(2026, 2, 12), "24")
        _hours(world, successor, date(2026, 3, 1), date(2026, 3, 6), "40")  # the next days
        _, work_hours = services.hours_between(peer, None, NOW.date())
    [message] = refused.value.message_dict["period_start"]
    assert "2026-02-01 to 2026-02-28" in message
    assert work_hours == Decimal(160)
    assert SupervisedWorkHours.objects.filter(staff=peer).count() == 2


# --- Cadence on the supervisee's own days -----------------------------------------------------


def _signed_session(world: World, started_at: datetime, minutes: int = 60) -> None:
    with time_machine.travel(started_at + timedelta(minutes=minutes), tick=False):
        session = services.record_session(
            actor=world.user("supervisor"),
            supervisees=[world.staff["peer"]],
            kind="supportive",
            started_at=started_at,
            minutes=minutes,
            sign=True,
        )
        services.sign_session(session, actor=world.user("peer"))


def test_the_first_week_is_the_supervisees_own_week(world: World) -> None:
    peer = world.staff["peer"]
    Staff.objects.filter(pk=peer.pk).update(hired_on=date(2026, 11, 2))  # a Monday in Chicago
    peer.refresh_from_db()
    # Sunday 20:00 in Chicago is Monday 02:00 in UTC: still the first Chicago week.
    sunday_evening = datetime(2026, 11, 8, 20, 0, tzinfo=CHICAGO)
    state = services.cadence_state(peer, sunday_evening)
    assert state.status == "due_soon"
    assert state.due_at == datetime(2026, 11, 9, 0, 0, tzinfo=CHICAGO)
    services.sweep_overdue(sunday_evening)
    assert not Alert.objects.filter(dedupe_key__startswith=f"sup-due:{peer.public_id}").exists()
    _signed_session(world, sunday_evening)
    assert services.cadence_state(peer, sunday_evening + timedelta(hours=6)).status == "on_cadence"


def test_a_week_is_seven_days_on_the_supervisees_clock_across_a_clock_change(
    world: World,
) -> None:
    peer = world.staff["peer"]
    # Sunday 20:00 in Chicago, daylight time; the clocks go back on 1 November.
    _signed_session(world, datetime(2026, 10, 25, 20, 0, tzinfo=CHICAGO))
    state = services.cadence_state(peer, datetime(2026, 11, 1, 19, 30, tzinfo=CHICAGO))
    assert state.status == "due_soon"
    assert state.due_at == datetime(2026, 11, 1, 20, 0, tzinfo=CHICAGO)
    assert services.cadence_state(peer, state.due_at).status == "overdue"
    assert state.due_at.tzinfo == UTC  # stored and compared in UTC, as every moment is


def test_many_states_at_once_judge_each_on_their_own_zone(world: World) -> None:
    from pillars.people.testing import make_unit

    east, _ = make_unit(world.site, "e")
    east.time_zone = "America/New_York"
    east.save(update_fields=["time_zone"])
    world.program.units.add(east)
    # No home unit: the zone is the first unit of their program's.
    remote = make_staff("t-remote-peer", ["peer"], [], supervisor=world.staff["supervisor"])
    remote.programs.add(world.program)
    Staff.objects.filter(pk=remote.pk).update(hired_on=date(2026, 11, 2))
    staff = list(Staff.objects.filter(supervisor__isnull=False).prefetch_related("roles"))
    moment = datetime(2026, 11, 8, 23, 30, tzinfo=CHICAGO)
    together = services.cadence_states(staff, moment)
    assert together == {s.pk: services.cadence_state(s, moment) for s in staff}
    assert together[remote.pk].due_at == datetime(
        2026, 11, 9, 0, 0, tzinfo=ZoneInfo("America/New_York")
    )
    assert together[remote.pk].status == "overdue"  # midnight has passed in New York
