"""HBIPS-2 and HBIPS-3 per unit and month, checked against an independent count: the raw rows
read with plain SQL, every minute of the month (in the unit's zone) counted one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from pillars.core import clock
from pillars.incidents.models import EpisodeKind, RestraintEpisode, RuleProfile
from pillars.incidents.selectors.restraint import hbips
from pillars.people.models import Episode, Placement, Unit
from pillars.people.testing import World, make_person

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


def _stay(world: World, record: str, unit_moves: list[tuple[Unit, datetime]], end: datetime):
    """A person admitted and moved between units: (unit, from) pairs, discharged at ``end``."""
    person = make_person(record, "Census")
    first = unit_moves[0][1]
    ep = Episode.objects.create(
        person=person, admitted_at=first, admitted_by=world.staff["nurse"], recorded_at=first
    )
    for n, (unit, start) in enumerate(unit_moves):
        stop = unit_moves[n + 1][1] if n + 1 < len(unit_moves) else end
        Placement.objects.create(episode=ep, unit=unit, started_at=start, ended_at=stop)
    ep.discharged_at = end
    ep.save(update_fields=["discharged_at"])
    return person


def _episode(world: World, person, unit, kind: str, start: datetime, end: datetime | None):
    RestraintEpisode.objects.create(
        person=person,
        unit=unit,
        profile=RuleProfile.objects.get(code="cms-hospital", is_current=True),
        kind=kind,
        started_at=start,
        started_by=world.staff["nurse"],
        recorded_at=start,
        reason="r",
        release_criteria="c",
        released_at=end,
        released_by=world.staff["nurse"] if end else None,
    )


def _count_minutes(unit_id: int, month: int) -> tuple[int, int, int]:
    """Patient, physical restraint and seclusion minutes in a month on a unit, by counting
    each minute; rows read with plain SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT started_at, ended_at FROM people_placement WHERE unit_id = %s", [unit_id]
        )
        stays = cursor.fetchall()
        cursor.execute(
            "SELECT kind, started_at, released_at FROM incidents_restraintepisode "
            "WHERE unit_id = %s",
            [unit_id],
        )
        spells = cursor.fetchall()

    def aware(value: object) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    now = clock.now()
    stays = [(aware(s), aware(e) or now) for s, e in stays]
    spells = [(k, aware(s), aware(e) or now) for k, s, e in spells]
    t = _at(month, 1, 0)
    stop = _at(month + 1, 1, 0)
    patient = physical = seclusion = 0
    while t < stop:
        patient += sum(1 for s, e in stays if s <= t < e)
        for kind, s, e in spells:
            if s <= t < e:
                if kind == EpisodeKind.SECLUSION:
                    seclusion += 1
                elif kind in (EpisodeKind.PHYSICAL_HOLD, EpisodeKind.MECHANICAL):
                    physical += 1
        t += timedelta(minutes=1)
    return patient, physical, seclusion


def test_hbips_matches_an_independent_count(world: World) -> None:
    a, b = world.unit_a, world.unit_b
    p1 = _stay(world, "H-1", [(a, _at(1, 20, 8))], _at(2, 10, 9, 30))
    p2 = _stay(world, "H-2", [(a, _at(2, 3, 14)), (b, _at(2, 17, 11, 15))], _at(3, 2, 7))
    p3 = _stay(world, "H-3", [(b, _at(1, 31, 22))], _at(2, 28, 23, 59))
    # Crosses midnight into February (Chicago): split between the months.
    _episode(world, p1, a, EpisodeKind.SECLUSION, _at(1, 31, 23, 15), _at(2, 1, 1, 5))
    _episode(world, p1, a, EpisodeKind.PHYSICAL_HOLD, _at(2, 5, 10, 0), _at(2, 5, 10, 12))
    _episode(world, p2, a, EpisodeKind.MECHANICAL, _at(2, 8, 18, 30), _at(2, 9, 0, 30))
    _episode(world, p2, b, EpisodeKind.SECLUSION, _at(2, 20, 9, 0), _at(2, 20, 11, 45))
    # A drug used as a restraint is in neither measure.
    _episode(world, p3, b, EpisodeKind.DRUG, _at(2, 21, 9, 0), _at(2, 21, 13, 0))
    rows = hbips([a, b], 2026, [1, 2])
    assert len(rows) == 4
    checked = 0
    for row in rows:
        patient, physical, seclusion = _count_minutes(row.unit.pk, row.month)
        assert row.patient_hours == pytest.approx(patient / 60)
        assert row.restraint_hours == pytest.approx(physical / 60)
        assert row.seclusion_hours == pytest.approx(seclusion / 60)
        if patient:
            assert row.hbips2 == pytest.approx(physical / patient * 1000)
            assert row.hbips3 == pytest.approx(seclusion / patient * 1000)
            checked += 1
    assert checked == 4
    feb_a = next(r for r in rows if r.unit == a and r.month == 2)
    # 23:15 to 01:05 across the month's end: 45 minutes in January, 65 in February.
    assert feb_a.seclusion_hours == pytest.approx(65 / 60)
    assert feb_a.restraint_hours == pytest.approx((12 + 360) / 60)


def test_months_apart_and_stays_that_began_before_them(world: World) -> None:
    """Months asked for need not be next to each other; a stay that began in December and one
    that runs from January into March count only in the months asked for."""
    a = world.unit_a
    p1 = _stay(world, "H-4", [(a, datetime(2025, 12, 30, 9, tzinfo=CHICAGO))], _at(1, 4, 12))
    p2 = _stay(world, "H-5", [(a, _at(1, 28, 6))], _at(3, 3, 18, 20))
    _episode(world, p1, a, EpisodeKind.PHYSICAL_HOLD, _at(1, 2, 10, 0), _at(1, 2, 10, 40))
    _episode(world, p2, a, EpisodeKind.SECLUSION, _at(2, 28, 23, 30), _at(3, 1, 0, 45))
    rows = hbips([a], 2026, [3, 1])
    assert [r.month for r in rows] == [1, 3]
    for row in rows:
        patient, physical, seclusion = _count_minutes(a.pk, row.month)
        assert row.patient_hours == pytest.approx(patient / 60)
        assert row.restraint_hours == pytest.approx(physical / 60)
        assert row.seclusion_hours == pytest.approx(seclusion / 60)
    january, march = rows
    assert january.restraint_hours == pytest.approx(40 / 60)
    assert march.seclusion_hours == pytest.approx(45 / 60)
    assert march.patient_hours == pytest.approx(2 * 24 + 18 + 20 / 60)
