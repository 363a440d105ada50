"""``core.versioning.next_version``: the one way a versioned rule gets its next version."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.core.versioning import next_version
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def _q15() -> ObservationLevel:
    return ObservationLevel.objects.get(code="q15", is_current=True)


def test_the_next_version_is_current_and_the_old_one_is_not() -> None:
    old = _q15()
    with transaction.atomic():
        new = next_version(old, name="Every fifteen minutes")
    old.refresh_from_db()
    assert not old.is_current
    assert old.name == "Every 15 minutes"  # the old version keeps its rules
    assert new.pk != old.pk
    assert new.public_id != old.public_id
    assert (new.code, new.version, new.is_current) == ("q15", old.version + 1, True)
    # Everything not changed is copied from the old version.
    assert new.name == "Every fifteen minutes"
    assert new.interval_minutes == old.interval_minutes
    assert new.grace_factor == old.grace_factor
    assert list(ObservationLevel.objects.filter(code="q15", is_current=True)) == [new]


def test_a_second_change_from_the_same_old_row_is_refused() -> None:
    old = _q15()
    next_version(old, interval_minutes=20)
    # A second request that read the same row before the first wrote: the lock reads it afresh.
    stale = ObservationLevel.objects.get(pk=old.pk)
    stale.is_current = True
    with pytest.raises(Conflict, match="reload"):
        next_version(stale, interval_minutes=25)
    assert ObservationLevel.objects.filter(code="q15", is_current=True).count() == 1
    assert ObservationLevel.objects.filter(code="q15").count() == 2


def test_the_database_refuses_a_second_current_version() -> None:
    level = _q15()
    with pytest.raises(IntegrityError), transaction.atomic():
        ObservationLevel.objects.create(
            code="q15",
            version=level.version + 1,
            is_current=True,
            name="Twin",
            interval_minutes=15,
            created_at=clock.now(),
        )
    assert ObservationLevel.objects.filter(code="q15", is_current=True).count() == 1


def test_a_check_on_the_locked_row_stops_the_write() -> None:
    old = _q15()

    def refuse(current: ObservationLevel) -> None:
        assert current.pk == old.pk
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        next_version(old, check=refuse, name="Never")
    assert _q15().pk == old.pk
    assert not ObservationLevel.objects.filter(name="Never").exists()
