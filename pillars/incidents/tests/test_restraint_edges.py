"""Restraint and seclusion rules at their edges, as a surveyor reads them: a start, a
face-to-face, a renewal or a release entered long after the moment it claims needs a reason and
stays visible as a late entry (DESIGN.md rule 1); time without any order after the start is a
violation the sweep alerts; a hold renewed past a state's limit is flagged in the API as on the
page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core.tests.api_support import api_as
from pillars.incidents.models import (
    EpisodeKind,
    FaceToFace,
    RestraintEpisode,
    RestraintOrder,
    UnitRuleProfile,
    ViolationKind,
)
from pillars.incidents.services import restraint as svc
from pillars.people.models import Alert, Episode, Placement
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Noon in Chicago on 10 March 2026 (UTC-5).
START = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO).astimezone(UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
# The late-entry span (models.restraint.LATE_ENTRY_AFTER).
LATE = 10 * MIN


@pytest.fixture(autouse=True)
def _placed_long_ago(world: World) -> None:
    """The world places persons two days before the real now; these tests pin earlier moments."""
    early = datetime(2025, 1, 1, tzinfo=UTC)
    Episode.objects.update(admitted_at=early, recorded_at=early)
    Placement.objects.update(started_at=early)


def _start(
    world: World,
    *,
    entered: datetime = START,
    kind: str = EpisodeKind.SECLUSION,
    **kw: Any,
) -> RestraintEpisode:
    with time_machine.travel(entered, tick=False):
        return svc.start_episode(
            world.person_a,
            actor=world.user("nurse"),
            ordered_by=world.staff["clinician"],
            kind=kind,
            reason="Struck a peer twice and kept going",
            release_criteria="Calm for 10 minutes",
            **kw,
        )


def _field_refused(refused: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return refused.value.message_dict["late_reason"]


# --- 1. Late entries: the start, the face-to-face, a renewal, the release ---------------------


def test_a_back_filled_start_needs_a_reason_and_is_flagged(world: World) -> None:
    # Entered exactly at the span: on time, no reason kept.
    on_time = _start(world, entered=START + LATE, started_at=START, late_reason="Not needed")
    assert (on_time.is_late_entry, on_time.late_reason) == (False, "")
    with time_machine.travel(START + LATE + 2 * SEC, tick=False):
        svc.release_episode(on_time, actor=world.user("nurse"), reason="Calm")

    later = START + timedelta(hours=2)
    with pytest.raises(ValidationError) as refused:
        _start(world, entered=later + LATE + SEC, started_at=later)
    assert "minutes after" in _field_refused(refused)[0]
    assert RestraintEpisode.objects.count() == 1
    episode = _start(
        world,
        entered=later + LATE + SEC,
        started_at=later,
        ordered_at=later,
        late_reason="Charted after the hold; both nurses were in it",
    )
    assert episode.is_late_entry is True
    assert episode.recorded_at == later + LATE + SEC
    assert episode.late_reason == "Charted after the hold; both nurses were in it"
    # The order given at the start and entered with it carries the same reason.
    order = RestraintOrder.objects.get(episode=episode)
    assert (order.is_late_entry, order.late_reason) == (True, episode.late_reason)
    event = AuditEvent.objects.filter(object_id=str(episode.public_id)).latest("pk")
    assert event.detail["late_entry"] is True


def test_an_order_entered_long_after_it_was_given_needs_a_reason(world: World) -> None:
    """The start itself is entered at once, but the order it names was given 40 minutes
    before: that order is a late entry too."""
    with pytest.raises(ValidationError) as refused:
        _start(world, entered=START, started_at=START, ordered_at=START - 40 * MIN)
    assert "order" in _field_refused(refused)[0]
    episode = _start(
        world,
        entered=START,
        started_at=START,
        ordered_at=START - 40 * MIN,
        late_reason="Telephone order, written down at the start",
    )
    order = RestraintOrder.objects.get(episode=episode)
    assert (episode.is_late_entry, order.is_late_entry) == (False, True)
    assert order.late_reason == "Telephone order, written down at the start"


def test_a_back_filled_face_to_face_needs_a_reason_and_is_flagged(world: World) -> None:
    episode = _start(world)
    seen_at = START + 30 * MIN
    with time_machine.travel(seen_at + LATE + SEC, tick=False):
        with pytest.raises(ValidationError) as refused:
            svc.record_face_to_face(
                episode, actor=world.user("nurse"), findings="Calmer", seen_at=seen_at
            )
        assert "minutes after" in _field_refused(refused)[0]
        assert FaceToFace.objects.count() == 0
        seen = svc.record_face_to_face(
            episode,
            actor=world.user("nurse"),
            findings="Calmer",
            seen_at=seen_at,
            late_reason="Evaluation written up after the unit settled",
        )
    assert seen.is_late_entry is True
    assert seen.late_reason == "Evaluation written up after the unit settled"
    event = AuditEvent.objects.filter(object_id=str(seen.public_id)).get()
    assert event.detail["late_entry"] is True
    # Entered within the span: on time, and no reason kept.
    later = START + timedelta(hours=2)
    other = _again(world, episode, later)
    with time_machine.travel(later + 20 * MIN + LATE, tick=False):
        prompt = svc.record_face_to_face(
            other,
            actor=world.user("nurse"),
            findings="Calm",
            seen_at=later + 20 * MIN,
            late_reason="Not needed",
        )
    assert (prompt.is_late_entry, prompt.late_reason) == (False, "")


def _again(world: World, episode: RestraintEpisode, at: datetime) -> RestraintEpisode:
    """Release the episode at ``at`` (entered on time) and start the person's next one."""
    with time_machine.travel(at, tick=False):
        svc.release_episode(episode, actor=world.user("nurse"), reason="Calm")
    return _start(world, entered=at + MIN)


def test_a_back_dated_renewal_needs_a_reason_and_is_flagged(world: World) -> None:
    """A renewal entered after the order ran out but claiming a moment before it would hide
    the expired order: it must say why and stay visible."""
    episode = _start(world)
    expired = START + timedelta(hours=4)
    with time_machine.travel(expired + 30 * MIN, tick=False):
        svc.record_monitoring(
            episode,
            actor=world.user("bht"),
            condition="Quiet",
            observed_at=expired + 29 * MIN,
        )
        with pytest.raises(ValidationError) as refused:
            svc.renew_order(episode, actor=world.user("clinician"), ordered_at=expired - 5 * MIN)
        assert "minutes after" in _field_refused(refused)[0]
        assert RestraintOrder.objects.filter(episode=episode).count() == 1
        renewal = svc.renew_order(
            episode,
            actor=world.user("clinician"),
            ordered_at=expired - 5 * MIN,
            late_reason="Verbal renewal, signed now",
        )
    assert (renewal.is_late_entry, renewal.late_reason) == (True, "Verbal renewal, signed now")


def test_a_back_filled_release_needs_a_reason_and_is_flagged(world: World) -> None:
    episode = _start(world)
    released_at = START + 14 * MIN
    entered = released_at + LATE + SEC
    with time_machine.travel(entered, tick=False):
        with pytest.raises(ValidationError) as refused:
            svc.release_episode(
                episode, actor=world.user("nurse"), reason="Calm", released_at=released_at
            )
        assert "minutes after" in _field_refused(refused)[0]
        assert RestraintEpisode.objects.get().released_at is None
        released = svc.release_episode(
            episode,
            actor=world.user("nurse"),
            reason="Calm",
            released_at=released_at,
            late_reason="Released during a second code; charted after",
        )
    assert released.release_recorded_at == entered
    assert released.release_is_late_entry is True
    assert released.release_late_reason == "Released during a second code; charted after"
    # Entered within the span: on time.
    later = START + timedelta(hours=2)
    on_time = _start(world, entered=later)
    with time_machine.travel(later + 14 * MIN + LATE, tick=False):
        prompt = svc.release_episode(
            on_time, actor=world.user("nurse"), reason="Calm", released_at=later + 14 * MIN
        )
    assert prompt.release_recorded_at == later + 14 * MIN + LATE
    assert (prompt.release_is_late_entry, prompt.release_late_reason) == (False, "")


def test_late_entries_show_on_the_page_and_in_the_api(world: World, signed_in: Any) -> None:
    entered = START + 40 * MIN  # 12:40 in Chicago
    episode = _start(
        world,
        entered=entered,
        started_at=START,
        ordered_at=START,
        late_reason="Charted after the hold",
    )
    with time_machine.travel(entered + MIN, tick=False):
        svc.record_monitoring(
            episode,
            actor=world.user("bht"),
            condition="Quiet",
            observed_at=START + 14 * MIN,
            note="Charted after the hold",
        )
        svc.record_face_to_face(
            episode,
            actor=world.user("nurse"),
            findings="Calmer",
            seen_at=START + 20 * MIN,
            late_reason="Written up after",
        )
        svc.release_episode(
            episode,
            actor=world.user("nurse"),
            reason="Calm",
            released_at=START + 25 * MIN,
            late_reason="Released before the charting",
        )
        page = signed_in("nurse").get(
            reverse("incidents:restraint-detail", kwargs={"public_id": episode.public_id})
        )
        read = api_as(world.user("nurse")).get(f"/restraint/{episode.public_id}")
    text = page.content.decode()
    # The start, its order, the check, the face-to-face and the release.
    assert text.count("late entry") == 5
    assert "12:40" in text and "12:41" in text  # noqa: PT018 (when each was entered)
    for reason in ("Charted after the hold", "Written up after", "Released before the charting"):
        assert reason in text
    assert read.status_code == 200, read.content
    data = read.json()
    assert data["is_late_entry"] is True
    assert data["late_reason"] == "Charted after the hold"
    assert datetime.fromisoformat(data["recorded_at"]) == entered
    assert data["release_is_late_entry"] is True
    assert data["release_late_reason"] == "Released before the charting"
    assert datetime.fromisoformat(data["release_recorded_at"]) == entered + MIN
    assert data["face_to_face"]["is_late_entry"] is True
    assert data["face_to_face"]["late_reason"] == "Written up after"
    assert datetime.fromisoformat(data["face_to_face"]["recorded_at"]) == entered + MIN
    (order,) = data["orders"]
    assert (order["is_late_entry"], order["late_reason"]) == (True, "Charted after the hold")


def test_the_api_refuses_a_back_filled_start_without_a_reason(world: World) -> None:
    path = f"/persons/{world.person_a.public_id}/restraint"
    body = {
        "kind": "seclusion",
        "reason": "Hit staff",
        "release_criteria": "Calm",
        "started_at": START.isoformat(),
        "ordered_by": str(world.staff["clinician"].public_id),
    }
    with time_machine.travel(START + 30 * MIN, tick=False):
        nurse = api_as(world.user("nurse"))
        refused = nurse.post(path, body)
        assert refused.status_code == 422, refused.content
        assert "late_reason" in refused.content.decode()
        made = nurse.post(path, {**body, "late_reason": "Charted after the hold"})
    assert made.status_code == 201, made.content
    assert made.json()["is_late_entry"] is True


def test_the_page_refuses_a_back_filled_release_without_a_reason(
    world: World, signed_in: Any
) -> None:
    episode = _start(world)
    url = reverse("incidents:restraint-release", kwargs={"public_id": episode.public_id})
    with time_machine.travel(START + 40 * MIN, tick=False):
        client = signed_in("nurse")
        answer = client.post(
            url, {"release-reason": "Calm", "release-released_at": "2026-03-10T12:20"}
        )
        assert answer.status_code == 200
        assert "say why" in answer.content.decode()
        assert RestraintEpisode.objects.get().released_at is None
        done = client.post(
            url,
            {
                "release-reason": "Calm",
                "release-released_at": "2026-03-10T12:20",
                "release-late_reason": "Charted after the code",
            },
        )
    assert done.status_code == 302
    released = RestraintEpisode.objects.get()
    assert released.release_late_reason == "Charted after the code"


# --- 2. Time without an order -----------------------------------------------------------------


def test_an_order_given_long_after_the_start_is_a_violation_the_sweep_alerts(
    world: World, signed_in: Any
) -> None:
    """Staff may start in an emergency and the order follow; an hour (the face-to-face
    window) without one is a violation, dated when the hour ran out."""
    in_time = _start(world, entered=START + 60 * MIN, started_at=START, late_reason="Charted late")
    assert not [
        v
        for v in svc.load_episode(in_time.pk).violations_at(START + 61 * MIN)
        if v.kind == ViolationKind.NO_ORDER
    ]
    with time_machine.travel(START + 61 * MIN, tick=False):
        svc.release_episode(in_time, actor=world.user("nurse"), reason="Calm")

    later = START + timedelta(hours=3)
    entered = later + 90 * MIN
    episode = _start(world, entered=entered, started_at=later, late_reason="Charted late")
    loaded = svc.load_episode(episode.pk)
    (missing,) = [v for v in loaded.violations_at(entered) if v.kind == ViolationKind.NO_ORDER]
    assert missing.at == later + 60 * MIN
    assert "90 minutes" in missing.text
    assert later + 60 * MIN in loaded.deadlines()
    result = svc.sweep_restraint(entered + SEC)
    assert result.alerts >= 1
    assert Alert.objects.filter(message__contains="No order").count() == 1
    with time_machine.travel(entered + SEC, tick=False):
        page = signed_in("nurse").get(
            reverse("incidents:restraint-detail", kwargs={"public_id": episode.public_id})
        )
        read = api_as(world.user("nurse")).get(f"/restraint/{episode.public_id}")
    assert "No order" in page.content.decode()
    assert ViolationKind.NO_ORDER in [v["kind"] for v in read.json()["violations"]]


def test_an_episode_with_no_order_at_all_is_a_violation_after_the_hour(world: World) -> None:
    """An episode whose order never came (brought in from elsewhere, or its order row lost):
    nothing is broken for the first hour, then "no order" is, and the sweep alerts it."""
    episode = _start(world)
    RestraintOrder.objects.filter(episode=episode).delete()
    loaded = svc.load_episode(episode.pk)
    hour = START + 60 * MIN
    assert loaded.order_expires_at() is None
    assert not loaded.violations_at(START + 14 * MIN)
    assert ViolationKind.NO_ORDER not in [v.kind for v in loaded.violations_at(hour)]
    (missing,) = [v for v in loaded.violations_at(hour + SEC) if v.kind == ViolationKind.NO_ORDER]
    assert missing.at == hour
    assert hour in loaded.deadlines()
    RestraintEpisode.objects.filter(pk=episode.pk).update(sweep_due_at=hour)
    svc.sweep_restraint(hour + SEC)
    assert Alert.objects.filter(message__contains="No order").count() == 1


# --- 3. A hold renewed past the state limit: flagged, not refused, in the API too ------------


def test_a_hold_renewed_past_the_state_limit_is_flagged_in_the_api(world: World) -> None:
    UnitRuleProfile.objects.create(unit=world.unit_a, profile_code="state-strict", chosen_at=START)
    hold = _start(world, kind=EpisodeKind.PHYSICAL_HOLD)
    with time_machine.travel(START + 10 * MIN, tick=False):
        svc.record_monitoring(hold, actor=world.user("bht"), condition="Struggling")
    with time_machine.travel(START + 14 * MIN, tick=False):
        renewal = svc.renew_order(hold, actor=world.user("clinician"))
    assert renewal.pk is not None  # not refused
    with time_machine.travel(START + 20 * MIN, tick=False):
        read = api_as(world.user("nurse")).get(f"/restraint/{hold.public_id}")
    assert read.status_code == 200, read.content
    data = read.json()
    over = [v for v in data["violations"] if v["kind"] == ViolationKind.OVER_STATE_TOTAL]
    assert [datetime.fromisoformat(v["at"]) for v in over] == [START + 15 * MIN]
    assert over[0]["label"] == "Over the state limit"
    # The live clocks show the state's limit beside the renewed order's expiry.
    timers = {t["key"]: t for t in data["timers"]}
    assert datetime.fromisoformat(timers["state_limit"]["at"]) == START + 15 * MIN
    assert timers["state_limit"]["text"] == "overdue by 5 min"
