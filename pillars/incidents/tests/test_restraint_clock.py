"""Restraint clocks pinned to the second: order limits by age (8, 9, 17, 18 and the birthday
itself, on the day in the unit's zone), renewals up to 24 hours, the 1-hour face-to-face,
monitoring every 15 minutes, state limits, and versioned profiles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from pillars.audit.models import AuditEvent
from pillars.core.errors import Conflict
from pillars.incidents.models import (
    EpisodeKind,
    RestraintEpisode,
    RestraintOrder,
    RuleProfile,
    UnitRuleProfile,
    ViolationKind,
)
from pillars.incidents.services import restraint as svc
from pillars.people.models import Episode, Placement
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _placed_long_ago(world: World) -> None:
    """The world places persons two days before the real now; these tests pin earlier moments,
    so the stays begin well before them."""
    early = datetime(2025, 1, 1, tzinfo=UTC)
    Episode.objects.update(admitted_at=early, recorded_at=early)
    Placement.objects.update(started_at=early)


CHICAGO = ZoneInfo("America/Chicago")
# Noon in Chicago on 10 March 2026 (summer time began on the 8th: UTC-5).
START = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO).astimezone(UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


def _start(world: World, kind: str = EpisodeKind.SECLUSION, at: datetime = START, **kw: object):
    with time_machine.travel(at, tick=False):
        return svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=kind,
            reason="Struck a peer twice and kept going",
            release_criteria="Calm for 10 minutes and able to talk about it",
            **kw,  # type: ignore[arg-type]
        )


def _born(world: World, dob: date) -> None:
    world.person_a.date_of_birth = dob
    world.person_a.save(update_fields=["date_of_birth"])


@pytest.mark.parametrize(
    ("dob", "minutes", "age"),
    [
        (date(2017, 6, 1), 60, 8),  # 8: under 9
        (date(2017, 3, 11), 60, 8),  # 9 tomorrow: still 8 today
        (date(2017, 3, 10), 120, 9),  # 9th birthday today: counts as 9
        (date(2016, 6, 1), 120, 9),
        (date(2008, 6, 1), 120, 17),
        (date(2008, 3, 11), 120, 17),  # 18 tomorrow: still 17
        (date(2008, 3, 10), 240, 18),  # 18th birthday today: an adult
        (date(1990, 5, 17), 240, 35),
    ],
)
def test_order_limit_by_age_on_the_day(world: World, dob: date, minutes: int, age: int) -> None:
    _born(world, dob)
    episode = _start(world)
    order = RestraintOrder.objects.get(episode=episode)
    assert (order.age_years, order.limit_minutes) == (age, minutes)
    loaded = svc.load_episode(episode.pk)
    assert loaded.order_expires_at() == START + timedelta(minutes=minutes)
    # The clock: one second before expiry nothing is broken; one second after, it is.
    before = [v.kind for v in loaded.violations_at(START + timedelta(minutes=minutes))]
    after = [v.kind for v in loaded.violations_at(START + timedelta(minutes=minutes) + SEC)]
    assert ViolationKind.EXPIRED_ORDER not in before
    assert ViolationKind.EXPIRED_ORDER in after


def test_age_is_taken_on_the_day_in_the_units_zone(world: World) -> None:
    """23:30 in Chicago on the 9th is already the 10th in UTC: the person is still 17."""
    _born(world, date(2008, 3, 10))
    late_evening = datetime(2026, 3, 9, 23, 30, tzinfo=CHICAGO).astimezone(UTC)
    assert late_evening.date() == date(2026, 3, 10)
    episode = _start(world, at=late_evening)
    order = RestraintOrder.objects.get(episode=episode)
    assert (order.ordered_on, order.age_years, order.limit_minutes) == (date(2026, 3, 9), 17, 120)


def test_renewals_up_to_24_hours_then_the_practitioner_must_see_the_person(world: World) -> None:
    episode = _start(world)
    moment = START
    for _ in range(5):  # four-hour orders: renewed at +4 h ... +20 h
        moment += timedelta(hours=4)
        with time_machine.travel(moment, tick=False):
            svc.record_monitoring(episode, actor=world.user("bht"), condition="Calm, breathing ok")
            order = svc.renew_order(episode, actor=world.user("clinician"))
        assert order.expires_at == moment + timedelta(hours=4)
    loaded = svc.load_episode(episode.pk)
    assert loaded.order_expires_at() == START + timedelta(hours=24)
    with time_machine.travel(START + timedelta(hours=24), tick=False):
        with pytest.raises(ValidationError) as refused:
            svc.renew_order(episode, actor=world.user("clinician"))
        assert "seen_in_person" in refused.value.message_dict
        assert RestraintOrder.objects.filter(episode=episode).count() == 6
        seen = svc.renew_order(episode, actor=world.user("clinician"), seen_in_person=True)
    assert seen.expires_at == START + timedelta(hours=28)


def test_a_renewal_never_runs_past_the_24_hour_window(world: World) -> None:
    _born(world, date(2012, 1, 1))  # 14: two-hour orders
    episode = _start(world)
    with time_machine.travel(START + timedelta(hours=23), tick=False):
        order = svc.renew_order(
            episode, actor=world.user("nurse"), ordered_by=world.staff["clinician"]
        )
    assert (order.limit_minutes, order.expires_at) == (120, START + timedelta(hours=24))


def test_renewal_after_expiry_is_a_violation(world: World) -> None:
    episode = _start(world)
    with time_machine.travel(START + timedelta(hours=4, minutes=10), tick=False):
        svc.renew_order(episode, actor=world.user("nurse"), ordered_by=world.staff["clinician"])
    loaded = svc.load_episode(episode.pk)
    expired = [
        v
        for v in loaded.violations_at(START + timedelta(hours=4, minutes=11))
        if v.kind == ViolationKind.EXPIRED_ORDER
    ]
    assert [v.at for v in expired] == [START + timedelta(hours=4)]


def test_face_to_face_within_one_hour(world: World) -> None:
    episode = _start(world)
    loaded = svc.load_episode(episode.pk)
    due = START + timedelta(hours=1)
    assert loaded.face_to_face_due_at() == due
    assert ViolationKind.LATE_FACE_TO_FACE not in [v.kind for v in loaded.violations_at(due)]
    assert ViolationKind.LATE_FACE_TO_FACE in [v.kind for v in loaded.violations_at(due + SEC)]
    with time_machine.travel(due, tick=False):
        svc.record_face_to_face(episode, actor=world.user("clinician"), findings="Calmer; continue")
    loaded = svc.load_episode(episode.pk)
    assert loaded.face_to_face_done_at() == due
    late = [
        v
        for v in loaded.violations_at(due + timedelta(hours=2))
        if v.kind == ViolationKind.LATE_FACE_TO_FACE
    ]
    assert late == []


def test_a_late_face_to_face_is_kept_and_reported(world: World) -> None:
    episode = _start(world)
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        svc.record_face_to_face(episode, actor=world.user("nurse"), findings="Seen late")
        with pytest.raises(ValidationError):
            svc.record_face_to_face(episode, actor=world.user("nurse"), findings="Again")
    loaded = svc.load_episode(episode.pk)
    late = [
        v
        for v in loaded.violations_at(START + timedelta(hours=2))
        if v.kind == ViolationKind.LATE_FACE_TO_FACE
    ]
    assert [v.at for v in late] == [START + timedelta(hours=1)]


def test_monitoring_every_15_minutes(world: World) -> None:
    episode = _start(world)
    loaded = svc.load_episode(episode.pk)
    assert loaded.monitoring_due_at() == START + 15 * MIN
    kinds = [v.kind for v in loaded.violations_at(START + 15 * MIN)]
    assert ViolationKind.MISSED_MONITORING not in kinds
    kinds = [v.kind for v in loaded.violations_at(START + 15 * MIN + SEC)]
    assert ViolationKind.MISSED_MONITORING in kinds
    with time_machine.travel(START + 15 * MIN, tick=False):
        svc.record_monitoring(episode, actor=world.user("bht"), condition="Pacing, no injury")
    with time_machine.travel(START + 31 * MIN, tick=False):
        svc.record_monitoring(episode, actor=world.user("bht"), condition="Sitting")
    loaded = svc.load_episode(episode.pk)
    assert loaded.monitoring_due_at() == START + 46 * MIN
    missed = [
        v
        for v in loaded.violations_at(START + 40 * MIN)
        if v.kind == ViolationKind.MISSED_MONITORING
    ]
    assert [v.at for v in missed] == [START + 30 * MIN]


def test_mechanical_restraint_checks_need_the_extra_items(world: World) -> None:
    episode = _start(world, kind=EpisodeKind.MECHANICAL)
    with time_machine.travel(START + 10 * MIN, tick=False):
        with pytest.raises(ValidationError) as refused:
            svc.record_monitoring(
                episode, actor=world.user("bht"), condition="Calm", circulation_ok=True
            )
        assert set(refused.value.message_dict) == {
            "skin_ok",
            "range_of_motion",
            "hydration_offered",
            "toileting_offered",
        }
        assert episode.checks.count() == 0
        check = svc.record_monitoring(
            episode,
            actor=world.user("bht"),
            condition="Calm",
            circulation_ok=True,
            skin_ok=True,
            range_of_motion=True,
            hydration_offered=True,
            toileting_offered=False,
        )
    assert check.toileting_offered is False


def test_state_profile_hold_limit_and_mechanical_total(world: World) -> None:
    UnitRuleProfile.objects.create(unit=world.unit_a, profile_code="state-strict", chosen_at=START)
    hold = _start(world, kind=EpisodeKind.PHYSICAL_HOLD)
    assert RestraintOrder.objects.get(episode=hold).limit_minutes == 15
    with time_machine.travel(START + 10 * MIN, tick=False):
        svc.release_episode(hold, actor=world.user("nurse"), reason="Calm")
    later = START + timedelta(hours=1)
    mech = _start(world, kind=EpisodeKind.MECHANICAL, at=later)
    loaded = svc.load_episode(mech.pk)
    assert loaded.profile.code == "state-strict"
    assert loaded.state_total_limit_at() == later + timedelta(hours=8)
    kinds = [v.kind for v in loaded.violations_at(later + timedelta(hours=8) + SEC)]
    assert ViolationKind.OVER_STATE_TOTAL in kinds


def test_episodes_keep_the_profile_version_they_started_under(world: World) -> None:
    episode = _start(world)
    old = RuleProfile.objects.get(code="cms-hospital", is_current=True)
    new = svc.change_profile(old, actor=world.user("admin"), face_to_face_minutes=30)
    assert (new.version, new.face_to_face_minutes) == (old.version + 1, 30)
    loaded = svc.load_episode(episode.pk)
    assert loaded.profile_id == old.pk
    assert loaded.face_to_face_due_at() == START + timedelta(hours=1)
    assert svc.profile_for_unit(world.unit_a).pk == new.pk
    with pytest.raises(Exception):  # noqa: B017, PT011 (the nurse may not: 403)
        svc.change_profile(new, actor=world.user("nurse"), face_to_face_minutes=20)


def test_bad_input_stores_nothing_and_good_input_is_audited(world: World) -> None:
    with time_machine.travel(START, tick=False), pytest.raises(ValidationError) as refused:
        svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind="tied-up",
            reason=" ",
            release_criteria="",
        )
    assert set(refused.value.message_dict) == {"kind", "reason", "release_criteria"}
    assert RestraintEpisode.objects.count() == 0
    episode = _start(world)
    event = AuditEvent.objects.filter(object_id=str(episode.public_id)).get()
    assert event.detail["limit_minutes"] == 240
    with pytest.raises(Conflict):
        _start(world, at=START + MIN)


def test_release_debrief_and_addendum(world: World) -> None:
    episode = _start(world)
    with time_machine.travel(START + 10 * MIN, tick=False):
        svc.record_monitoring(episode, actor=world.user("bht"), condition="Quiet")
        svc.notify_guardian(episode, actor=world.user("bht"), note="Mother, by phone")
        with pytest.raises(ValidationError):
            svc.record_debrief(episode, actor=world.user("bht"), notes="x", with_person=True)
        released = svc.release_episode(episode, actor=world.user("nurse"), reason="Met criteria")
        svc.record_debrief(released, actor=world.user("bht"), notes="Talked", with_person=True)
        svc.add_addendum(
            released, actor=world.user("bht"), reason="Wrong time", text="Check was 12:09"
        )
    loaded = svc.load_episode(episode.pk)
    assert loaded.released_at == START + 10 * MIN
    assert loaded.monitoring_due_at() is None
    assert loaded.addenda.count() == 1
    with pytest.raises(ValidationError):
        svc.record_monitoring(episode, actor=world.user("bht"), condition="After release")


def test_timer_tones_are_the_board_extras_tones(world: World) -> None:
    """Due within five minutes, or a face-to-face done late: "warning", the tone the board's
    flags use (rounds.board_extras.RowExtra); overdue: "danger"."""
    from pillars.incidents.selectors.restraint import timers

    episode = svc.load_episode(_start(world).pk)
    soon = {t.key: t.tone for t in timers(episode, START + timedelta(minutes=11))}
    assert soon == {"order": "", "face_to_face": "", "monitoring": "warning"}
    late = {t.key: t.tone for t in timers(episode, START + timedelta(minutes=16))}
    assert late["monitoring"] == "danger"
    with time_machine.travel(START + timedelta(minutes=70), tick=False):
        svc.record_face_to_face(episode, actor=world.user("nurse"), findings="Seen")
        episode = svc.load_episode(episode.pk)
        done = {t.key: t.tone for t in timers(episode, START + timedelta(minutes=70))}
    assert done["face_to_face"] == "warning"
    assert {tone for t in [soon, late, done] for tone in t.values()} <= {"", "warning", "danger"}


def test_the_boards_timers_read_in_one_query_are_the_episodes_own(
    world: World, django_assert_num_queries: object
) -> None:
    """The board's panel reads each clock's moment as a column (``board_timers``); its timers
    are those of the episode's own rows (``timers``), before and after renewals, checks and the
    face-to-face."""
    from pillars.incidents.selectors.restraint import active_episodes, board_timers, timers

    episode = _start(world)
    nurse = world.user("nurse")
    unit = episode.unit

    def same(now: datetime) -> None:
        by_rows = [timers(e, now) for e in active_episodes(nurse, unit)]
        with django_assert_num_queries(1):  # type: ignore[operator]
            by_columns = [found for _, found in board_timers(nurse, unit, now)]
        assert by_columns == by_rows
        assert by_rows

    same(START + 5 * MIN)
    for minutes in (15, 29):
        with time_machine.travel(START + minutes * MIN, tick=False):
            svc.record_monitoring(episode, actor=world.user("bht"), condition="Calm")
    with time_machine.travel(START + 50 * MIN, tick=False):
        svc.record_face_to_face(episode, actor=nurse, findings="Seen")
    same(START + 55 * MIN)
    with time_machine.travel(START + 4 * timedelta(hours=1), tick=False):
        svc.renew_order(episode, actor=world.user("clinician"))
    same(START + timedelta(hours=4, minutes=5))
