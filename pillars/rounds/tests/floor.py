"""Helpers for the floor tests (exceptions, assignments, coverage): more persons on unit A,
orders at a level, and clocks pinned in the unit's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pillars.core import clock
from pillars.people.models import Bed, PersonServed
from pillars.people.testing import World, make_person, place
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder

CHICAGO = ZoneInfo("America/Chicago")  # the test units' zone (people.testing.make_unit)


def level(code: str = "q15") -> ObservationLevel:
    return ObservationLevel.objects.get(code=code, is_current=True)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def another_person(world: World, record: str, bed: Bed | None = None) -> PersonServed:
    """A person served admitted to unit A (optionally in a bed)."""
    person = make_person(record, f"Family{record}")
    place(person, world.unit_a, bed, world.staff["nurse"])
    return person


def order_for(
    world: World,
    person: PersonServed | None = None,
    code: str = "q15",
    started_at: datetime | None = None,
) -> ObservationOrder:
    return services.order_observation(
        person or world.person_a,
        actor=world.user("nurse"),
        level=level(code),
        reason="Test order",
        started_at=started_at or clock.now() - timedelta(minutes=5),
    )
