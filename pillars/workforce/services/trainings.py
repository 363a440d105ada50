"""Every write to trainings: the automatic assignment of the courses a staff member's roles
require (on hire and on a change of roles, through people.hooks), an assignment by hand, and
recording a completion with its evidence."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.people import hooks
from pillars.people.models import Staff
from pillars.workforce.models.trainings import Course, TrainingAssignment, TrainingCompletion
from pillars.workforce.services.credentials import evidence_or_errors, saving_with_evidence
from pillars.workforce.services.staff_audit import audit_administration

SYSTEM_LABEL = "required trainings"


def assign_required_courses(staff: Staff, *, actor: Any, reason: str) -> list[TrainingAssignment]:
    """Assign every active course the staff member's roles require and they do not have yet
    (inside the caller's transaction). Called by people's hire and role-change services through
    the hook; the caller has checked its own permission."""
    today = clock.organization_today()
    now = clock.now()
    role_ids = list(staff.roles.values_list("pk", flat=True))
    courses = list(
        Course.objects.filter(is_active=True, required_for__in=role_ids)
        .exclude(assignments__staff=staff)
        .distinct()
        .order_by("pk")
    )
    if not courses:
        return []
    rows = TrainingAssignment.objects.bulk_create(
        [
            TrainingAssignment(
                staff=staff,
                course=course,
                assigned_on=today,
                due_on=today + timedelta(days=course.due_within_days),
                reason=reason,
                created_at=now,
            )
            for course in courses
        ]
    )
    audit.record(
        actor=actor,
        actor_label="" if actor is not None else SYSTEM_LABEL,
        action=Action.CREATE,
        object_type="workforce.trainingassignment",
        object_id=str(staff.public_id),
        purpose=Purpose.ADMINISTRATION,
        detail={
            "event": "courses assigned",
            "reason": reason,
            "staff": str(staff.public_id),
            "courses": [c.code for c in courses],
        },
    )
    return rows


def on_staff_changed(staff: Staff, event: str, actor: Any) -> None:
    """people.hooks listener: a hire or a change of roles assigns the courses now required."""
    if event in (hooks.STAFF_HIRED, hooks.ROLES_CHANGED):
        assign_required_courses(
            staff, actor=actor, reason="hire" if event == hooks.STAFF_HIRED else "role change"
        )


def assign_course(
    staff: Staff, *, actor: Any, course: Course, due_on: date | None = None
) -> TrainingAssignment:
    """An administrator assigns a course by hand."""
    policy.require(actor, "workforce.assign_course", staff)
    today = clock.organization_today()
    due = due_on or today + timedelta(days=course.due_within_days)
    if due < today:
        raise invalid("due_on", "The due date is in the past.")
    if not course.is_active:
        raise invalid("course", "That course is retired.")
    with transaction.atomic():
        if TrainingAssignment.objects.filter(staff=staff, course=course).exists():
            raise invalid("course", f"{staff.display_name} already has {course.name}.")
        row = TrainingAssignment.objects.create(
            staff=staff,
            course=course,
            assigned_on=today,
            due_on=due,
            reason="by hand",
            created_at=clock.now(),
        )
        audit_administration(
            actor,
            Action.CREATE,
            row,
            {"staff": str(staff.public_id), "course": course.code, "due_on": str(due)},
        )
    return row


def record_completion(
    staff: Staff, *, actor: Any, course: Course, completed_on: date, evidence: Any = None
) -> TrainingCompletion:
    """A completed course with its evidence; it lapses after the course's renewal period."""
    acting = policy.require(actor, "workforce.record_completion", staff)
    errors: dict[str, list[str]] = {}
    if completed_on > clock.organization_today():
        errors["completed_on"] = ["The date is in the future."]
    clean = evidence_or_errors(evidence, errors)
    if errors:
        raise ValidationError(errors)
    completion = TrainingCompletion(
        staff=staff,
        course=course,
        completed_on=completed_on,
        expires_on=course.expires_on_for(completed_on),
        recorded_by_id=acting.staff_pk,
        recorded_at=clock.now(),
    )
    # A back-filled older completion, recorded after the one that renewed it, stays quiet.
    renewed = TrainingCompletion.objects.filter(
        staff=staff, course=course, completed_on__gt=completed_on
    ).exists()
    completion.next_reminder_on = None if renewed else completion.next_reminder_after(None)
    with saving_with_evidence(completion, clean):
        completion.save()
        # The newest completion of the course is the one reminded; older ones go quiet.
        TrainingCompletion.objects.filter(
            staff=staff, course=course, next_reminder_on__isnull=False
        ).exclude(pk=completion.pk).filter(completed_on__lte=completed_on).update(
            next_reminder_on=None
        )
        audit_administration(
            actor,
            Action.CREATE,
            completion,
            {
                "staff": str(staff.public_id),
                "course": course.code,
                "completed_on": completed_on.isoformat(),
                "expires_on": str(completion.expires_on) if completion.expires_on else None,
            },
        )
    return completion
