"""Safety plans in the JSON API: a person's current plan and draft, every version, saving the
draft (replay-safe), signing it with the person served, and the printed copy (PDF)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS
from pillars.core.api_types import Day, Text
from pillars.core.declare import audited
from pillars.core.plan_api import PlanDraftIn, PlanSignIn, PlanVersionOut, PlanWrites
from pillars.core.plan_pages import pdf_response
from pillars.incidents import safety_pdf
from pillars.incidents.models.safety import PersonSignature, SafetyPlanVersion
from pillars.incidents.selectors import safety as selectors
from pillars.incidents.services import safety as services
from pillars.people import selectors as people_selectors
from pillars.people.records_api import person_records

router = Router(tags=["safety"])


class EntryOut(Schema):
    text: str = ""
    name: str = ""
    phone: str = ""


class SectionOut(Schema):
    code: str
    label: str
    entries: list[EntryOut]


class VersionOut(PlanVersionOut):
    public_id: UUID
    person: UUID
    number: int
    status: str
    review_on: date
    sections: list[SectionOut]
    drafted_by: str
    drafted_at: datetime
    person_signature: str
    person_signed_name: str
    person_signed_at: datetime | None
    signed_by: str | None
    signed_at: datetime | None

    @staticmethod
    def resolve_sections(version: SafetyPlanVersion) -> list[dict[str, Any]]:
        return version.sections()


class SafetyPlanOut(Schema):
    current: VersionOut | None
    draft: VersionOut | None


class EntryIn(Schema):
    text: Text = Field("", max_length=300)
    name: Text = Field("", max_length=120)
    phone: Text = Field("", max_length=24)


class DraftIn(PlanDraftIn):
    review_on: Day
    sections: dict[str, list[EntryIn]] = Field(
        description="Entries by section code: text entries, or name and phone in the contact "
        "sections (ask_for_help, professionals).",
        max_length=10,
    )


class SafetyPlanSignIn(PlanSignIn):
    person_signature: PersonSignature


@router.get(
    "/persons/{public_id}/safety-plan",
    response={200: SafetyPlanOut, **READ_ERRORS},
    summary="A person's current safety plan and the draft being written, if any",
)
@audited("reads a person's safety plan (audited by get_person_for)")
def current_plan(request: HttpRequest, public_id: UUID) -> Status[SafetyPlanOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_safety_plan", what="api safety plan"
    )
    current, draft = (
        selectors.current_plan(person, request.user),
        selectors.draft_of(person, request.user),
    )
    return Status(
        200,
        SafetyPlanOut(
            current=VersionOut.of(current) if current else None,
            draft=VersionOut.of(draft) if draft else None,
        ),
    )


person_records(
    router,
    "/persons/{public_id}/safety-plan/versions",
    VersionOut,
    selectors.versions_of,
    name="plan_versions",
    action="incidents.view_safety_plan",
    what="api safety plan versions",
    summary="Every version of a person's safety plan, newest first",
    audit="reads a person's safety plan versions (audited by get_person_for)",
)


PlanWrites(
    plan_name="safety plan",
    module=__name__,
    out=VersionOut,
    draft_in=DraftIn,
    sign_in=SafetyPlanSignIn,
    draft_path="/persons/{public_id}/safety-plan/draft",
    sign_path="/safety-plans/{public_id}/sign",
    draft_summary="Save the draft of the plan's next version (created when there is none)",
    sign_summary="Sign a draft with the person served; it becomes their plan and never changes",
    versions=services.PLANS,
    get_person=people_selectors.get_person_for,
    get_version=selectors.get_version_for,
    save=services.save_draft,
    sign=services.sign_plan,
).add_to(router, WRITE_ERRORS)


@router.get(
    "/safety-plans/{public_id}/pdf",
    response={200: None, **READ_ERRORS},
    summary="The printable copy of one plan version for the person served (application/pdf)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The plan as a PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@audited("downloads a safety plan's printed copy (audited by get_version_for)")
def plan_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    version = selectors.get_version_for(request.user, public_id, what="api safety plan pdf")
    return pdf_response(
        safety_pdf.export(request.user, version, channel="api"),
        f"safety-plan-v{version.number}.pdf",
    )
