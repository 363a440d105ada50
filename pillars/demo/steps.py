"""The demo loads in steps, each committed on its own (a day of stays, a unit's day of rounds,
an area), so PostgreSQL can clean the row versions a long load leaves behind (every check moves
its order's clock) instead of keeping them all until one commit at the end.

A load claims the database first (``claim``: the one ``DemoLoad`` row, so two loads at once
cannot both start) and marks it finished last. Each step marks the accounts made so far as demo
accounts in its own commit, so a load that stops half-way never leaves an account with the
published password that the production guard does not know. A half-loaded demo is detected
(``interrupted``) and refused, never resumed: the plan lives in the loader's memory, and the
audit log, append-only, keeps what the finished steps wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from pillars.core import clock
from pillars.demo.models import DemoLoad

Step = Callable[[str], AbstractContextManager[None]]


def no_steps(_name: str) -> AbstractContextManager[None]:
    """Steps that commit nothing of their own: the caller's transaction holds everything."""
    return nullcontext()


class Claimed(RuntimeError):
    """Another load claimed this database first."""


def claim(*, seed: int, scale: str, taken: Callable[[], bool]) -> DemoLoad:
    """Claim the database for one load (committed at once); ``taken`` says whether it already
    holds an organization. Raises Claimed when it does or another load claimed it."""
    with transaction.atomic():
        if taken() or DemoLoad.objects.exists():
            raise Claimed
        try:
            with transaction.atomic():
                return DemoLoad.objects.create(pk=1, seed=seed, scale=scale, started_at=clock.now())
        except IntegrityError:
            raise Claimed from None


def interrupted() -> DemoLoad | None:
    """The load that started here and did not finish (stopped, or still running), if any."""
    return DemoLoad.objects.filter(finished_at__isnull=True).first()


class Steps:
    """Commit a load step by step; ``step(name)`` is one step's transaction."""

    def __init__(self, load: DemoLoad, last_user_before: int) -> None:
        self.load = load
        self.last_user_before = last_user_before

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        with transaction.atomic():
            yield
            get_user_model().objects.filter(pk__gt=self.last_user_before, is_demo=False).update(
                is_demo=True
            )
            DemoLoad.objects.filter(pk=self.load.pk).update(step=name[:100], steps=F("steps") + 1)

    def finish(self) -> None:
        DemoLoad.objects.filter(pk=self.load.pk).update(finished_at=clock.now())

    def abandon_if_empty(self) -> None:
        """After a failure: when no step was committed, nothing but the claim is stored, so
        the claim goes and the database is empty again."""
        DemoLoad.objects.filter(pk=self.load.pk, steps=0).delete()


def by_day[T](items: Iterable[T], day_of: Callable[[T], date]) -> Iterator[tuple[date, list[T]]]:
    """Items (in time order) grouped by their day, for a step per day."""
    for day, group in groupby(items, key=day_of):
        yield day, list(group)
