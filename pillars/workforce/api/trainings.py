"""Workforce in the JSON API: training completions (one's own, or an administrator for a staff
member), with evidence as base64 (type and size checked by the service)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_routes import audited_write
from pillars.core.api_types import Day, Text
from pillars.core.entry import Out, named_in
from pillars.people import selectors as people_selectors
from pillars.workforce.api.credentials import (
    WRITE_ERRORS,
    evidence_field,
    evidence_of,
    not_before_1950,
)
from pillars.workforce.models.trainings import Course
from pillars.workforce.services import trainings as services

router = Router(tags=["workforce"])


class CompletionIn(Schema):
    course_code: Text = Field(..., max_length=32, description="The course's code.")
    completed_on: Day
    evidence_base64: Text | None = evidence_field()


class CompletionOut(Out):
    public_id: UUID
    staff: UUID
    course_code: str
    completed_on: date
    expires_on: date | None
    evidence_content_type: str

    paths = {"course_code": "course.code"}


@router.post(
    "/workforce/staff/{public_id}/completions",
    response={201: CompletionOut, **WRITE_ERRORS},
    summary="Record a training completion with its evidence; it lapses after the course's "
    "renewal period",
)
@audited_write("records a training completion (audited by record_completion)")
def completion_create(
    request: HttpRequest, public_id: UUID, payload: CompletionIn
) -> Status[CompletionOut]:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.record_completion")
    courses = Course.objects.filter(is_active=True)
    course = named_in(courses, "course_code", payload.course_code, "No such course.", key="code")
    done = services.record_completion(
        staff,
        actor=request.user,
        course=course,
        completed_on=not_before_1950(payload.completed_on, "completed_on"),
        evidence=evidence_of(payload.evidence_base64),
    )
    return Status(201, CompletionOut.of(done))
