"""Courses (required trainings by role, with their renewal period) and each staff member's
assignments and completions. Assignments are made automatically on hire and on a change of
roles (people.hooks); the status on a day is derived from the latest completion and the
assignment's due date."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.people.models import Role, Staff
from pillars.people.tenancy import OrganizationOwned
from pillars.workforce.models.credentials import (
    add_months,
    evidence_path,
    next_reminder,
    reminder_thresholds,
)

__all__ = ["Course", "TrainingAssignment", "TrainingCompletion", "TrainingStatus"]

# A completion due to lapse within this many days shows as "due soon".
DUE_SOON_DAYS = 30


def default_reminder_days() -> list[int]:
    """The expiry reminders a course gives by default, as credential types do."""
    return [90, 60, 30, 7]


class TrainingStatus(models.TextChoices):
    CURRENT = "current", "Current"
    DUE_SOON = "due_soon", "Due soon"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"


class Course(PublicModel):
    """A training course: who must take it (roles) and how often (``renewal_months``; none: once).
    Retired, never deleted."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    renewal_months = models.PositiveSmallIntegerField(null=True, blank=True)
    due_within_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days a new assignment gives to complete the course."
    )
    required_for = models.ManyToManyField(Role, related_name="required_courses", blank=True)
    reminder_days = models.JSONField(
        default=default_reminder_days,
        blank=True,
        help_text="Days before a completion lapses to remind, e.g. [90, 60, 30, 7].",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def expires_on_for(self, completed_on: date) -> date | None:
        if not self.renewal_months:
            return None
        return add_months(completed_on, int(self.renewal_months))

    def reminder_thresholds(self) -> list[int]:
        return reminder_thresholds(self.reminder_days)


class TrainingAssignment(OrganizationOwned, PublicModel):
    """A course a staff member must take, and why (hire, role change, by hand)."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="training_assignments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    assigned_on = models.DateField()
    due_on = models.DateField()
    reason = models.CharField(max_length=40)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["staff_id", "due_on"]
        constraints = [unique_in_organization("staff", "course", name="training_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.course} for {self.staff}"

    def status_on(self, day: date, latest: TrainingCompletion | None) -> str:
        """Current while the latest completion runs (due soon in its last 30 days); without
        one, due until the due date and overdue after; a lapsed completion is overdue."""
        if latest is not None:
            if latest.expires_on is None:
                return TrainingStatus.CURRENT
            if latest.expires_on < day:
                return TrainingStatus.OVERDUE
            if latest.expires_on <= day + timedelta(days=DUE_SOON_DAYS):
                return TrainingStatus.DUE_SOON
            return TrainingStatus.CURRENT
        return TrainingStatus.OVERDUE if self.due_on < day else TrainingStatus.DUE


class TrainingCompletion(OrganizationOwned, PublicModel):
    """One completion of a course, with its evidence; ``expires_on`` comes from the course's
    renewal period at the time it was recorded."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="training_completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.FileField(upload_to=evidence_path, max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=20, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # Reminders, as on credentials: the next day one falls due and the threshold last sent; a
    # worker claims a row by compare-and-set on ``next_reminder_on`` (core.sweeps). A later
    # completion of the course clears them.
    next_reminder_on = models.DateField(null=True, blank=True, db_index=True)
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["staff_id", "course_id", "-completed_on"]
        indexes = [models.Index(fields=["staff", "course", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.course} completed {self.completed_on}"

    def is_current_on(self, day: date) -> bool:
        return self.completed_on <= day and (self.expires_on is None or self.expires_on >= day)

    def days_left_on(self, day: date) -> int | None:
        return None if self.expires_on is None else (self.expires_on - day).days

    def reminder_thresholds(self) -> list[int]:
        return self.course.reminder_thresholds()

    def next_reminder_after(self, reminded: int | None) -> date | None:
        return next_reminder(self.expires_on, self.reminder_thresholds(), reminded)

    def reminder_label(self) -> str:
        return f"training {self.course.name}"
