"""Signed checkpoints of the chain head: cutting the newest events and the head is found."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from pillars.audit import checkpoint, log
from pillars.audit.models import GENESIS, AuditEvent, ChainHead
from pillars.audit.sweeps import SWEEPS
from pillars.audit.testing import lift_append_only
from pillars.core.management.commands.worker import registered_sweeps

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def checkpoints(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    return tmp_path / checkpoint.FILE_NAME


def _events(n: int) -> list[int]:
    """n events; their seqs (numbered by a sequence on PostgreSQL, so not always from 1)."""
    return [
        log.record(actor=None, action="view", object_type="test", object_id=str(i)).seq
        for i in range(n)
    ]


def _cut_newest(n: int) -> None:
    """What someone with database access would do: lift the triggers, delete the newest events,
    and move the chain head back so the chain itself still holds."""
    lift_append_only()
    with connection.cursor() as cursor:
        top = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [top - n])
    for head in ChainHead.objects.all():
        last = AuditEvent.objects.filter(lane=head.pk).order_by("-seq").first()
        ChainHead.objects.filter(pk=head.pk).update(
            seq=last.seq if last else 0, hmac=last.hmac if last else GENESIS
        )


@pytest.mark.parametrize("n", [1, 2, 5])
def test_verify_fails_when_vouched_events_are_gone(checkpoints: Path, capsys: Any, n: int) -> None:
    seqs = _events(5)
    call_command("audit", "checkpoint")
    assert f"#{seqs[-1]}" in capsys.readouterr().out
    call_command("audit", "verify")
    _cut_newest(n)
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"vouches for event #{seqs[-1]}" in err
    assert "removed" in err


def test_without_a_checkpoint_the_same_cut_goes_unnoticed(capsys: Any, settings: Any) -> None:
    """Why the checkpoint exists: the chain and its head alone cannot see this cut."""
    settings.AUDIT_CHECKPOINT_DIR = None
    _events(5)
    _cut_newest(2)
    call_command("audit", "verify")
    assert "3 events" in capsys.readouterr().out


def test_a_forged_checkpoint_is_refused(checkpoints: Path, capsys: Any) -> None:
    seqs = _events(2)
    checkpoint.write(NOW)
    body = json.loads(checkpoints.read_text())
    # Vouch for the first event instead of the second, in whichever form the line has.
    if "lanes" in body:
        lane = next(iter(body["lanes"]))
        body["lanes"][lane][0] = seqs[0]
    else:
        body["seq"] = seqs[0]
    checkpoints.write_text(json.dumps(body) + "\n")
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert "not signed with the audit key" in capsys.readouterr().err


def test_the_worker_writes_a_checkpoint_each_minute_and_on_a_new_head(checkpoints: Path) -> None:
    assert checkpoint.sweep_checkpoint in SWEEPS
    assert checkpoint.sweep_checkpoint in registered_sweeps()
    [first] = _events(1)
    assert checkpoint.sweep_checkpoint(NOW) is not None
    assert checkpoint.sweep_checkpoint(NOW + timedelta(seconds=30)) is None
    [second] = _events(1)
    written = checkpoint.sweep_checkpoint(NOW + timedelta(seconds=31))
    assert written is not None
    assert written.seq == second
    assert checkpoint.sweep_checkpoint(NOW + timedelta(seconds=91)) is not None
    lines = checkpoints.read_text().splitlines()
    assert [json.loads(ln)["seq"] for ln in lines] == [first, second, second]
    newest = checkpoint.newest()
    assert newest is not None
    assert newest.seq == second
