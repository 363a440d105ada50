"""The sweep harness: a pass stops taking rows once its time budget is spent and leaves the
rest (still due) for the next loop; every pass makes progress; the result says what was left."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pillars.core import sweeps


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(sweeps.time, "monotonic", fake)
    return fake


def test_a_pass_stops_at_its_budget_and_says_what_is_left(ticking: FakeClock) -> None:
    result = sweeps.SweepResult("test")
    budget = sweeps.Budget(seconds=3)
    taken = []
    for row in sweeps.within_budget(result, range(10), budget):
        taken.append(row)
        ticking.now += 1  # each row takes a second
    assert taken == [0, 1, 2]
    assert result.deferred == 7
    assert "7 left for the next loop" in str(result)


def test_every_pass_takes_at_least_one_row(ticking: FakeClock) -> None:
    result = sweeps.SweepResult("test")
    budget = sweeps.Budget(seconds=1)
    ticking.now = 5  # already spent before the first row
    assert list(sweeps.within_budget(result, ["a", "b"], budget)) == ["a"]
    assert result.deferred == 1


def test_batches_count_their_rows(ticking: FakeClock) -> None:
    result = sweeps.SweepResult("test")
    budget = sweeps.Budget(seconds=1)
    batches = [[1, 2], [3, 4, 5], [6]]
    for _ in sweeps.within_budget(result, batches, budget, size=len):
        ticking.now += 1
    assert result.deferred == 4


def test_the_budget_comes_from_the_settings(settings: Any) -> None:
    settings.SWEEP_BUDGET_SECONDS = 7
    assert sweeps.Budget().seconds == 7


def test_back_off_doubles_up_to_an_hour() -> None:
    assert [sweeps.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert sweeps.backoff(30) == timedelta(hours=1)
