"""Audit lanes: events in several lanes verify lane by lane, a break names its lane, checkpoints
vouch for every lane's tip (and read the lines written before there were lanes), and the
insights sweep reads each lane up to its head."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from pillars.audit import checkpoint, log
from pillars.audit.models import GENESIS, LANES, AuditEvent, ChainHead
from pillars.audit.testing import lift_append_only
from pillars.audit.verify import verify_database

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Choose the lane the next appends go to (as concurrent writers would spread them)."""
    chosen = {"lane": 1}

    def take(_connection: Any) -> ChainHead:
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=chosen["lane"])
        return head

    monkeypatch.setattr(log, "_take_lane", take)
    # PostgreSQL's one-statement path picks its lane itself; send every append through ``take``.
    monkeypatch.setattr(log, "_take_numbered_lane", lambda _connection, _count: None)
    return chosen


def _record(n: int) -> list[AuditEvent]:
    return [
        log.record(actor=None, action="view", object_type="test", object_id=str(i))
        for i in range(n)
    ]


def _two_lanes(lane: dict[str, int]) -> tuple[list[AuditEvent], list[AuditEvent]]:
    first = _record(3)
    lane["lane"] = 3
    third = _record(2)
    lane["lane"] = 1
    first += _record(1)
    return first, third


def test_each_lane_is_a_chain_of_its_own(lane: dict[str, int]) -> None:
    first, third = _two_lanes(lane)
    assert {e.lane for e in first} == {1}
    assert {e.lane for e in third} == {3}
    assert third[0].prev_hmac == GENESIS
    assert first[3].prev_hmac == first[2].hmac
    heads = dict(ChainHead.objects.values_list("pk", "seq"))
    assert heads[1] == first[-1].seq
    assert heads[3] == third[-1].seq
    assert len({e.seq for e in first + third}) == 6
    assert verify_database() == (None, 6)


def test_a_break_names_its_lane(lane: dict[str, int], capsys: Any) -> None:
    _first, third = _two_lanes(lane)
    lift_append_only()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'export' WHERE seq = %s", [third[1].seq]
        )
    broken, _ = verify_database()
    assert broken is not None
    assert broken.lane == 3
    assert broken.seq == third[1].seq
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    err = capsys.readouterr().err
    assert "lane 3" in err
    assert "edited" in err


def test_a_lane_cut_at_its_end_is_caught_by_its_head(lane: dict[str, int]) -> None:
    _first, third = _two_lanes(lane)
    lift_append_only()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [third[-1].seq])
    broken, _ = verify_database()
    assert broken is not None
    assert broken.lane == 3
    assert "removed" in broken.reason


def test_checkpoints_vouch_for_every_lane(
    lane: dict[str, int], settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    _first, third = _two_lanes(lane)
    point = checkpoint.write(NOW)
    assert point is not None
    body = json.loads((tmp_path / checkpoint.FILE_NAME).read_text())
    assert set(body["lanes"]) == {"1", "3"}
    assert checkpoint.check() is None
    # Someone cuts lane 3's newest event and moves its head back: the chain holds, the
    # checkpoint does not.
    lift_append_only()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [third[-1].seq])
    ChainHead.objects.filter(pk=3).update(seq=third[0].seq, hmac=third[0].hmac)
    assert verify_database()[0] is None
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert f"vouches for event #{third[-1].seq}" in capsys.readouterr().err


def test_a_checkpoint_written_before_lanes_still_verifies(settings: Any, tmp_path: Path) -> None:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    events = _record(2)
    last = events[-1]
    assert last.lane == 1 or connection.vendor == "postgresql"
    at = NOW.isoformat()
    message = f"audit-checkpoint|{last.seq}|{last.hmac}|{at}".encode()
    sig = hmac.new(django_settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()
    line = json.dumps({"seq": last.seq, "hmac": last.hmac, "at": at, "sig": sig})
    (tmp_path / checkpoint.FILE_NAME).write_text(line + "\n")
    found = checkpoint.newest()
    assert found is not None
    assert found.tips == ((1, last.seq, last.hmac),)
    assert checkpoint.check() is None


def test_every_lane_has_a_head_row() -> None:
    assert set(ChainHead.objects.values_list("pk", flat=True)) >= set(range(1, LANES + 1))


def test_the_summary_sweep_reads_every_lane(lane: dict[str, int]) -> None:
    from pillars.insights.models import SweepCursor
    from pillars.insights.summaries import rebuild, sweep_summaries

    rebuild()
    before = SweepCursor.objects.get()
    _first, third = _two_lanes(lane)
    sweep_summaries()
    after = SweepCursor.objects.get()
    heads = dict(ChainHead.objects.values_list("pk", "seq"))
    assert after.read(1) == heads[1]
    assert after.read(3) == heads[3] == third[-1].seq
    assert after.read(3) > before.read(3)
