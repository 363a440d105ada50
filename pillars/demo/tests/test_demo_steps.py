"""The demo commits step by step: a load that stops half-way is detected and refused (never
passed off as loaded), its accounts are already marked as demo accounts, and a load that fails
before its first step leaves the database as it was."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from pillars.demo import generator, steps
from pillars.demo.models import DemoLoad
from pillars.people.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.demo]

MOMENT = datetime(2026, 5, 14, 15, 30, tzinfo=UTC)


class Stopped(Exception):
    pass


def _stop(*_args: Any) -> None:
    raise Stopped


def test_a_load_that_stops_half_way_is_refused_even_with_if_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generator.Loader, "_recovery", _stop)
    with time_machine.travel(MOMENT, tick=False), pytest.raises(Stopped):
        call_command("demo", "--seed", "7", "--rounds-days", "0", stdout=io.StringIO())
    load = steps.interrupted()
    assert load is not None
    assert load.step == "handoffs"
    # Every step so far committed on its own: days of stays, rounds, incidents, handoffs.
    assert load.steps > 10
    assert Organization.objects.exists()
    users = get_user_model().objects.all()
    assert users.exists()
    assert not users.filter(is_demo=False).exists()
    for extra in ([], ["--if-empty"]):
        with pytest.raises(CommandError, match="has not finished"):
            call_command("demo", *extra, stdout=io.StringIO())
    with pytest.raises(generator.AlreadyLoaded):
        generator.generate(seed=7, rounds_days=0)


def test_a_load_that_fails_in_its_first_step_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generator.Loader, "_structure", _stop)
    with pytest.raises(Stopped):
        generator.generate(seed=7, rounds_days=0)
    assert not DemoLoad.objects.exists()
    assert not Organization.objects.exists()
    assert not get_user_model().objects.exists()
    assert steps.interrupted() is None
