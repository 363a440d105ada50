"""The demo's restraint episodes: months of them across types, a couple of late face-to-faces,
and one active now on the demo nurse's unit, all through the services (so all audited)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from pillars.audit.models import AuditEvent
from pillars.demo import generator
from pillars.incidents.models import (
    ExposureEvent,
    RestraintEpisode,
    RestraintStaff,
    ViolationKind,
)
from pillars.incidents.models.incidents import ExposureKind
from pillars.people.models import Staff

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 5, 14, 15, 30, tzinfo=UTC)


def test_demo_restraint_episodes() -> None:
    with time_machine.travel(MOMENT, tick=False):
        generator.generate(seed=2026, rounds_days=1)
    episodes = list(RestraintEpisode.objects.prefetch_related("orders", "checks", "face_to_faces"))
    assert len(episodes) >= 12
    assert len({e.kind for e in episodes}) >= 3
    months = {(e.started_at.year, e.started_at.month) for e in episodes}
    assert len(months) >= 3
    late = [
        e
        for e in episodes
        if not e.is_active
        and ViolationKind.LATE_FACE_TO_FACE in [v.kind for v in e.violations_at(MOMENT)]
    ]
    assert len(late) >= 2
    [active] = [e for e in episodes if e.is_active]
    nurse = Staff.objects.get(user__username="demo-nurse")
    assert active.unit in nurse.home_units.all()
    assert active.monitoring_due_at() is not None
    assert AuditEvent.objects.filter(object_id=str(active.public_id)).exists()
    # Every episode names the staff who took part, and each has one restraint row in the
    # exposure ledger per episode.
    involved = RestraintStaff.objects.count()
    assert all(e.staff_roles.exists() for e in episodes)
    assert involved >= len(episodes)
    assert ExposureEvent.objects.filter(kind=ExposureKind.RESTRAINT).count() == involved
