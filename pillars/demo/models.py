"""What the demo keeps about itself: the one load of this database and how far it got."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class DemoLoad(models.Model):
    """The demo load of this database (one row, id 1). The load commits step by step (a day of
    history, a unit's day of rounds, an area), so a load that stops half-way leaves this row
    unfinished: ``pillars demo`` then refuses to load or to call the database loaded, and says
    to start again from an empty database (the audit log is append-only, so a half-loaded demo
    is never undone)."""

    seed = models.IntegerField()
    scale = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    step = models.CharField(max_length=100, blank=True)
    steps = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Named, for the type checker: the demo app is installed only in demo mode.
    objects: ClassVar[models.Manager[DemoLoad]] = models.Manager()

    def __str__(self) -> str:
        state = "finished" if self.finished_at else f"stopped after {self.step or 'no step'}"
        return f"Demo load (seed {self.seed}, {self.scale}), {state}"
