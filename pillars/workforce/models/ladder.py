"""Workforce models: the career ladder. Each role has steps (data), each step its criteria
(data): a criterion names its kind (tenure, recognitions, credential, training, supervised
hours, ...) and a threshold; the evaluator of each kind lives in a registry
(``selectors.ladder.register_evaluator``), so the credentials, trainings and supervision areas
plug theirs in. A person's step is recorded (``LadderPlacement``) and their progress to the next
step is worked out when read."""

from __future__ import annotations

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Role, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = ["LadderCriterion", "LadderPlacement", "LadderStep"]


class LadderStep(PublicModel):
    """One step of a role's ladder; ``rank`` 1 is the first."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    description = models.CharField(max_length=400, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["role", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["role", "rank"], name="ladder_step_rank_once")
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.rank}. {self.title}"


class LadderCriterion(PublicModel):
    """What a step asks. ``kind`` is a key of the evaluator registry (``tenure_months``,
    ``recognitions``, ``credential``, ``training``, ``supervised_hours``, ...); ``threshold`` is
    the number to reach and ``code`` names the credential or training type when the kind needs
    one. A kind nobody has plugged in yet is shown as not measured, never as met."""

    step = models.ForeignKey(LadderStep, on_delete=models.CASCADE, related_name="criteria")
    kind = models.SlugField(max_length=40)
    threshold = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    code = models.SlugField(max_length=40, blank=True)
    label = models.CharField(max_length=200)

    class Meta:
        ordering = ["step", "pk"]

    def __str__(self) -> str:
        return self.label


class LadderPlacement(OrganizationOwned, PublicModel):
    """A staff member's step from ``since_on``; the newest placement is the current one."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey(LadderStep, on_delete=models.PROTECT, related_name="+")
    since_on = models.DateField()
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-since_on", "-pk"]
