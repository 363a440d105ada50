"""The restraint sweep: claims due episodes by compare-and-set and alerts the shift lead once
per violation, however many sweeps run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from pillars.audit.choices import Outcome
from pillars.audit.models import AuditEvent
from pillars.core.management.commands.worker import registered_sweeps
from pillars.incidents.models import EpisodeKind, RestraintEpisode
from pillars.incidents.services import restraint as svc
from pillars.people.models import Alert, Episode, Placement
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _placed_long_ago(world: World) -> None:
    """The world places persons two days before the real now; these tests pin earlier moments,
    so the stays begin well before them."""
    early = datetime(2025, 1, 1, tzinfo=UTC)
    Episode.objects.update(admitted_at=early, recorded_at=early)
    Placement.objects.update(started_at=early)


START = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _start(world: World) -> RestraintEpisode:
    with time_machine.travel(START, tick=False):
        return svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=EpisodeKind.SECLUSION,
            reason="Threw a chair at staff",
            release_criteria="Calm and safe to rejoin the unit",
        )


def test_the_worker_finds_the_sweep() -> None:
    assert svc.sweep_restraint in registered_sweeps()


def test_nothing_is_due_before_the_first_deadline(world: World) -> None:
    episode = _start(world)
    assert episode.sweep_due_at == START + 15 * MIN
    result = svc.sweep_restraint(START + 15 * MIN - timedelta(seconds=1))
    assert (result.claimed, result.alerts) == (0, 0)
    # At the deadline itself a check is still on time: claimed, nothing to alert.
    result = svc.sweep_restraint(START + 15 * MIN)
    assert (result.claimed, result.alerts) == (1, 0)
    assert Alert.objects.count() == 0


def test_two_sweeps_alert_the_shift_lead_once(world: World) -> None:
    episode = _start(world)
    now = START + 16 * MIN
    first = svc.sweep_restraint(now)
    second = svc.sweep_restraint(now)
    assert (first.claimed, first.alerts) == (1, 1)
    assert (second.claimed, second.alerts) == (0, 0)
    alert = Alert.objects.get()
    # No shift lead is assigned: the unit's nurses are alerted (rounds' lead step).
    assert alert.recipient == world.staff["nurse"]
    assert alert.person == world.person_a
    assert alert.due_at == START + 15 * MIN
    assert "No monitoring" in alert.message
    episode.refresh_from_db()
    assert episode.sweep_due_at == START + 60 * MIN  # the face-to-face is next
    # An hour later the face-to-face is late too: one new alert; the missed monitoring is not
    # alerted again, even though it is still broken.
    later = START + 61 * MIN
    svc.sweep_restraint(later)
    svc.sweep_restraint(later)
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(message__contains="No face-to-face").count() == 1


def test_a_stale_claim_writes_nothing(world: World) -> None:
    """A second worker that read the row before the first moved it loses the compare-and-set."""
    episode = _start(world)
    due = episode.sweep_due_at
    assert due is not None
    assert svc._sweep_one(episode.pk, due, START + 16 * MIN) == 1
    assert svc._sweep_one(episode.pk, due, START + 16 * MIN) is None
    assert Alert.objects.count() == 1


def test_a_check_before_the_sweep_moves_the_deadline(world: World) -> None:
    episode = _start(world)
    with time_machine.travel(START + 14 * MIN, tick=False):
        svc.record_monitoring(episode, actor=world.user("bht"), condition="Quiet")
    episode.refresh_from_db()
    assert episode.sweep_due_at == START + 29 * MIN
    assert svc.sweep_restraint(START + 20 * MIN).claimed == 0


def test_alerts_close_when_their_cause_is_removed(world: World) -> None:
    """Monitoring recorded closes "no monitoring"; the release closes what is left."""
    episode = _start(world)
    svc.sweep_restraint(START + 16 * MIN)
    svc.sweep_restraint(START + 61 * MIN)
    monitoring = Alert.objects.get(message__contains="No monitoring")
    face = Alert.objects.get(message__contains="No face-to-face")
    with time_machine.travel(START + 62 * MIN, tick=False):
        svc.record_monitoring(episode, actor=world.user("nurse"), condition="Calm, sitting")
    monitoring.refresh_from_db()
    face.refresh_from_db()
    assert monitoring.resolved_at == START + 62 * MIN
    assert monitoring.resolved_reason == "A monitoring check was recorded."
    assert face.resolved_at is None
    with time_machine.travel(START + 63 * MIN, tick=False):
        svc.release_episode(episode, actor=world.user("nurse"), reason="Calm for ten minutes")
    face.refresh_from_db()
    assert (face.resolved_at, face.resolved_reason) == (
        START + 63 * MIN,
        "The person was released.",
    )
    monitoring.refresh_from_db()
    assert monitoring.resolved_at == START + 62 * MIN  # the first closing moment stays


def test_an_episode_that_raises_is_audited_and_retried_with_back_off(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one failure policy (core.sweeps): the row is audited "failed", its deadline pushed
    forward longer each time, and the next pass after the wait alerts it."""
    episode = _start(world)
    real = svc._alert_text

    def broken(*args: object) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr(svc, "_alert_text", broken)
    now = START + 16 * MIN
    result = svc.sweep_restraint(now)
    assert (result.claimed, result.failed, result.failed_rows) == (0, 1, [str(episode.public_id)])
    failed = AuditEvent.objects.get(outcome=Outcome.FAILED)
    assert failed.object_id == str(episode.public_id)
    assert "template broke" in failed.detail["error"]
    episode.refresh_from_db()
    assert (episode.sweep_due_at, episode.sweep_failures) == (now + MIN, 1)
    # Failing again waits twice as long.
    second = svc.sweep_restraint(now + MIN)
    assert second.failed == 1
    episode.refresh_from_db()
    assert (episode.sweep_due_at, episode.sweep_failures) == (now + 3 * MIN, 2)
    assert not Alert.objects.exists()
    monkeypatch.setattr(svc, "_alert_text", real)
    third = svc.sweep_restraint(now + 3 * MIN)
    assert (third.claimed, third.alerts, third.failed) == (1, 1, 0)
    episode.refresh_from_db()
    assert episode.sweep_failures == 0
    assert Alert.objects.get().due_at == START + 15 * MIN
