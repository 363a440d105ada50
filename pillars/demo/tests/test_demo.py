"""The demo generator: deterministic, the right shape, audited like real data, loaded once, and
only in demo mode."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings

from pillars.audit.models import AuditEvent
from pillars.demo import generator
from pillars.demo.accounts import (
    DEMO_PIN,
)
from pillars.people.models import (
    CaseloadAssignment,
    Episode,
    Organization,
    PersonServed,
    Placement,
    Staff,
)
from pillars.rounds.models import Handoff, HandoffNote

# Only in the SQLite stage of bin/test, the database `make run` loads the demo into. A test that
# loads the demo loads one of its own and rolls it back: nothing is shared, so the workers share
# the tests out.
pytestmark = [pytest.mark.django_db, pytest.mark.demo]

MOMENT = datetime(2026, 5, 14, 15, 30, tzinfo=UTC)


class _Rollback(Exception):
    pass


def _snapshot() -> dict[str, Any]:
    return {
        "persons": sorted(
            PersonServed.objects.values_list(
                "record_number", "legal_given_name", "legal_family_name", "date_of_birth"
            )
        ),
        "census": sorted(
            Placement.objects.current().values_list(
                "episode__person__record_number", "unit__code", "bed__room__name", "bed__label"
            )
        ),
        "episodes": sorted(
            Episode.objects.values_list(
                "person__record_number", "admitted_at", "discharged_at", "disposition"
            )
        ),
        "staff": sorted(
            Staff.objects.values_list(
                "user__username", "display_name", "badge_number", "hired_on", "exited_on"
            )
        ),
        "caseload": sorted(
            CaseloadAssignment.objects.values_list(
                "staff__user__username", "person__record_number", "kind", "started_on", "ended_on"
            )
        ),
        "handoffs": sorted(
            Handoff.objects.values_list(
                "unit__code",
                "starts_at",
                "ends_at",
                "compiled_by__user__username",
                "outgoing_staff__user__username",
                "incoming_staff__user__username",
                "incoming_signed_at",
            )
        ),
        "handoff_notes": sorted(
            HandoffNote.objects.values_list(
                "handoff__unit__code",
                "handoff__starts_at",
                "person__record_number",
                "text",
                "written_by__user__username",
                "written_at",
            ),
            key=str,
        ),
    }


def _load_and_forget(seed: int) -> dict[str, Any]:
    """Load the demo, take a snapshot, and roll it all back (the audit log included)."""
    snap: dict[str, Any] = {}
    try:
        with transaction.atomic():
            # No rounds: the replay is what makes a load slow, and the snapshot reads none of it.
            generator.generate(seed=seed, rounds_days=0)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Organization.objects.exists()
    return snap


def test_the_command_loads_once_and_the_same_seed_gives_the_same_demo() -> None:
    """`pillars demo` prints a summary and never loads twice; loading the same seed again (after
    rolling the first back) gives the same organization. Part-way through a second, as the real
    clock always is (`make run` failed when a demo step assumed a whole second)."""
    snapshots: list[dict[str, Any]] = []
    with time_machine.travel(MOMENT + timedelta(microseconds=654321), tick=False):
        try:
            with transaction.atomic():
                out = io.StringIO()
                # No rounds: the replay is what makes a load slow, and the snapshot reads none.
                call_command("demo", "--seed", "7", "--rounds-days", "0", stdout=out)
                text = out.getvalue()
                assert "Demo data loaded (seed 7, scale small)" in text
                assert re.search(r"Persons served: \d+, episodes: \d+", text)
                assert DEMO_PIN in text
                persons, events = PersonServed.objects.count(), AuditEvent.objects.count()
                out = io.StringIO()
                call_command("demo", "--if-empty", stdout=out)
                assert out.getvalue().strip() == "demo data already loaded"
                with pytest.raises(CommandError, match="already loaded"):
                    call_command("demo", stdout=io.StringIO())
                assert PersonServed.objects.count() == persons
                assert AuditEvent.objects.count() == events
                snapshots.append(_snapshot())
                raise _Rollback
        except _Rollback:
            pass
        assert not Organization.objects.exists()
        again = _load_and_forget(7)
    first = snapshots[0]
    assert first == again
    assert first["persons"]
    assert first["census"]
    assert first["caseload"]
    assert first["handoffs"]
    assert first["handoff_notes"]


def test_another_seed_another_demo() -> None:
    base = datetime(2026, 5, 14, tzinfo=UTC)
    one, two = generator.plan(11, "small", base), generator.plan(12, "small", base)
    assert [(p.given, p.family) for p in one.persons] != [(p.given, p.family) for p in two.persons]
    assert [p.record_number for p in one.persons] != [p.record_number for p in two.persons]


@pytest.mark.parametrize("scale", ["small", "large"])
def test_plan_is_pure_and_beds_never_double_booked(scale: str) -> None:
    base = datetime(2026, 5, 14, tzinfo=UTC)
    one, two = generator.plan(5, scale, base), generator.plan(5, scale, base)
    assert [p.record_number for p in one.persons] == [p.record_number for p in two.persons]
    assert [(s.username, s.hired_on) for s in one.staff] == [
        (s.username, s.hired_on) for s in two.staff
    ]
    stays: dict[tuple[str, str, str], list[tuple[datetime, datetime]]] = {}
    for person in one.persons:
        for episode in person.episodes:
            for seg in episode.segments:
                key = (seg.unit.code, seg.bed.room, seg.bed.label)
                stays.setdefault(key, []).append((seg.start, seg.end or generator.FAR_FUTURE))
    for bed, spans in stays.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"{bed} is double-booked"
    if scale == "large":
        assert len(one.persons) == 1000


def test_if_empty_leaves_a_real_organization_alone(world: Any) -> None:
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert out.getvalue().strip() == "demo data already loaded"
    assert Organization.objects.count() == 1
    assert not Staff.objects.filter(user__username__startswith="demo-").exists()


@override_settings(DEMO_MODE=False)
def test_refuses_outside_demo_mode() -> None:
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo", "--if-empty", stdout=io.StringIO())
    with pytest.raises(PermissionError):
        generator.generate()
    assert not Organization.objects.exists()
    assert not get_user_model().objects.exists()
    assert not AuditEvent.objects.exists()
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo-code", "demo-director", stdout=io.StringIO())


def test_demo_orders_start_on_a_whole_second() -> None:
    """Check times are whole seconds; an order starting at 07:14:17.14 would refuse its own
    first check at 07:14:17, so orders start at the next whole second."""
    from datetime import UTC, datetime

    from pillars.demo.rounds import _up_to_second

    assert _up_to_second(datetime(2026, 11, 23, 7, 14, 17, 140732, tzinfo=UTC)) == datetime(
        2026, 11, 23, 7, 14, 18, tzinfo=UTC
    )
    exact = datetime(2026, 11, 23, 7, 14, 17, tzinfo=UTC)
    assert _up_to_second(exact) == exact
