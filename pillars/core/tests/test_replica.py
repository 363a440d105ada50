"""Reports on a streaming replica: what the router sends where, when ``reads`` falls back to the
primary, and (once, in the PostgreSQL stage) the same against a real replica that
``bin/pg-replica`` starts with pg_basebackup on ports of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pillars.audit import log as audit_log
from pillars.audit.models import AuditEvent
from pillars.core import clock, replica
from pillars.core.models import User
from pillars.people.consent_models import Consent
from pillars.people.models import CaseloadAssignment, Placement, Staff, Unit
from pillars.people.testing import World
from pillars.rounds.models import Check

ROOT = Path(__file__).resolve().parents[3]


def test_without_a_replica_every_read_is_on_the_primary() -> None:
    assert not replica.configured()
    with replica.reads() as status:
        assert status.alias == replica.PRIMARY
        assert status.reason == "no replica is configured"
        assert Unit.objects.all().db == "default"
    assert "main database" in replica.now_lag_text(status)


def test_the_router_sends_only_reporting_reads_to_the_replica() -> None:
    router = replica.ReplicaRouter()
    token = replica._reading_from.set(replica.REPLICA)
    try:
        for model in (Unit, Placement, Check):
            assert router.db_for_read(model) == replica.REPLICA, model
        # What decides access, and the audit chain, never comes from a copy that may lag.
        for kept in (AuditEvent, User, Staff, Consent, CaseloadAssignment):
            assert router.db_for_read(kept) is None, kept
        assert router.db_for_write(Check) == replica.PRIMARY
    finally:
        replica._reading_from.reset(token)
    assert router.db_for_read(Check) is None  # outside reads(): the primary
    assert router.allow_migrate(replica.REPLICA, "rounds") is False
    assert router.allow_migrate(replica.PRIMARY, "rounds") is True


@pytest.fixture
def replica_at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pretend a replica is configured at a given position (lag, last replayed commit)."""
    monkeypatch.setattr(replica, "configured", lambda: True)

    def at(position: Any) -> None:
        monkeypatch.setattr(replica, "_replica_position", lambda: position)

    return at


@pytest.mark.django_db
def test_reads_fall_back_to_the_primary_when_the_replica_cannot_be_trusted(
    world: World, replica_at: Any, settings: Any
) -> None:
    nurse = world.user("nurse")
    settings.REPLICA_MAX_LAG_SECONDS = 60

    replica_at(None)
    assert replica.choose(nurse).reason == "the replica does not answer"

    replica_at((0.0, None))  # caught up
    assert replica.choose(nurse).alias == replica.REPLICA

    replica_at((61.0, clock.now() - timedelta(seconds=61)))
    behind = replica.choose(nurse)
    assert (behind.alias, behind.lag_seconds) == (replica.PRIMARY, 61.0)
    assert "61 s behind" in behind.reason

    replayed_at = clock.now() - timedelta(seconds=5)
    replica_at((5.0, replayed_at))
    assert replica.choose(nurse).alias == replica.REPLICA
    # Reading is not writing: a viewed page does not pin the user to the primary.
    audit_log.record(actor=nurse, action="view", object_type="unit")
    assert replica.choose(nurse).alias == replica.REPLICA
    # The nurse's own change, newer than the replica's last replayed commit: the primary.
    audit_log.record(actor=nurse, action="update", object_type="unit")
    mine = replica.choose(nurse)
    assert (mine.alias, mine.reason) == (
        replica.PRIMARY,
        "your latest change is not on the replica yet",
    )
    # Someone else's change does not move another user's reads.
    assert replica.choose(world.user("director")).alias == replica.REPLICA
    assert "5 seconds behind" in replica.now_lag_text(replica.choose(world.user("director")))


# --- Against a real streaming replica --------------------------------------------------------

SCRIPT = r"""
import json, time
from django.db import connections
from django.test.utils import override_settings
from pillars.core import clock, replica
from pillars.core.models import User
from pillars.audit.models import AuditEvent
from pillars.people.models import Organization, Site, Unit
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

# Only the tables this script touches: a full migration would take most of a minute.
with connections["default"].schema_editor() as editor:
    for model in (ContentType, Permission, Group, User, Organization, Site, Unit, AuditEvent):
        editor.create_model(model)

def replica_count(table="people_unit"):
    with connections["replica"].cursor() as c:
        c.execute(f"SELECT count(*) FROM {table}")
        return c.fetchone()[0]

def wait_for(n, table="people_unit"):
    for _ in range(200):
        try:
            if replica_count(table) == n:
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise SystemExit("the replica never caught up")

def unit(name):
    site = Site.objects.first() or Site.objects.create(
        organization=Organization.objects.create(name="Org"), name="Site")
    return Unit.objects.create(site=site, name=name, code=name, time_zone="UTC")

def pillars_reads(user=None):
    with replica.reads(user) as status:
        return {"alias": status.alias, "reason": status.reason, "lag": status.lag_seconds,
                "units": Unit.objects.count(), "text": replica.now_lag_text(status)}

out = {}
lead = User.objects.create(username="lead")
unit("A")
wait_for(1)
out["caught_up"] = pillars_reads(lead)

with connections["replica"].cursor() as c:
    c.execute("SELECT pg_wal_replay_pause()")
unit("B")
time.sleep(1.2)
out["paused"] = pillars_reads(lead)
AuditEvent.objects.create(seq=1, occurred_at=clock.now(), actor=lead, action="update",
                          prev_hmac="0" * 64, hmac="0" * 64)
out["after_own_write"] = pillars_reads(lead)
with override_settings(REPLICA_MAX_LAG_SECONDS=1):
    out["too_far_behind"] = pillars_reads(None)
with connections["replica"].cursor() as c:
    c.execute("SELECT pg_wal_replay_resume()")
wait_for(2)
# The lead's own write came after unit B: the replica has caught up once it has that too.
wait_for(1, "audit_auditevent")
out["resumed"] = pillars_reads(lead)
print("RESULT " + json.dumps(out))
"""


@pytest.mark.once
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs once, in the PostgreSQL stage (it starts a private primary and replica)",
)
def test_reports_read_a_real_streaming_replica_and_never_a_stale_answer_to_their_writer() -> None:
    home = Path(tempfile.mkdtemp(prefix="pillars-replica-"))
    home.chmod(0o755)  # the clusters run as the postgres user when the tests run as root
    cluster = home / "clusters"
    try:
        started = subprocess.run(
            [str(ROOT / "bin" / "pg-replica"), "start", str(cluster)],
            check=True,
            capture_output=True,
            text=True,
        )
        env = dict(os.environ, PILLARS_ENV="test")
        for line in started.stdout.splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        assert env["DATABASE_REPLICA_URL"] != env["DATABASE_URL"]
        ran = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "pillars"), "shell", "-c", SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr[-3000:]
        result = json.loads(ran.stdout.split("RESULT ", 1)[1])
    finally:
        subprocess.run([str(ROOT / "bin" / "pg-replica"), "stop", str(cluster)], check=False)
        shutil.rmtree(home, ignore_errors=True)

    assert result["caught_up"]["alias"] == "replica"
    assert result["caught_up"]["lag"] < 1
    assert result["caught_up"]["units"] == 1
    # Replay paused: the report reads the replica, which has not seen unit B, and says how far
    # behind it is.
    paused = result["paused"]
    assert (paused["alias"], paused["units"]) == ("replica", 1)
    assert paused["lag"] >= 1
    assert "seconds behind" in paused["text"]
    # The lead's own write is newer than the replica: their report reads the primary.
    own = result["after_own_write"]
    assert (own["alias"], own["units"]) == ("default", 2)
    assert own["reason"] == "your latest change is not on the replica yet"
    assert result["too_far_behind"]["alias"] == "default"
    assert "behind" in result["too_far_behind"]["reason"]
    resumed = result["resumed"]
    assert (resumed["alias"], resumed["units"]) == ("replica", 2)
    assert resumed["lag"] < 1
