"""Recovery capital in the JSON API: the instruments (items, scale, subscales, reference
lines), a person's assessments, and recording one (scored by the server; replay-safe by
``client_id``). A total sent by a client is not read: the schema has no field for it."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Day, Text
from pillars.core.declare import audit_exempt
from pillars.core.entry import Out
from pillars.people import selectors as people_selectors
from pillars.people.records_api import person_records
from pillars.recovery.models.capital import Instrument
from pillars.recovery.selectors import capital as selectors
from pillars.recovery.services import capital as services

router = Router(tags=["recovery"])


class InstrumentItemOut(Out):
    number: int
    text: str
    subscale: str | None
    is_reversed: bool

    paths = {"subscale": "subscale.code"}


class InstrumentSubscaleOut(Out):
    code: str
    name: str


class ReferenceLineOut(Schema):
    value: float
    label: str


# Read with its items and subscales prefetched (selectors.instruments): counting the items for
# the total range reads no more rows.
class InstrumentOut(Out):
    code: str
    name: str
    description: str
    source: str
    scale_min: int
    scale_max: int
    scale_labels: dict[str, str]
    scoring: str
    total_min: float
    total_max: float
    is_self_administrable: bool
    reference_lines: list[ReferenceLineOut]
    subscales: list[InstrumentSubscaleOut]
    items: list[InstrumentItemOut]

    @staticmethod
    def resolve_scale_labels(i: Instrument) -> dict[str, str]:
        return {str(k): str(v) for k, v in (i.scale_labels or {}).items()}

    @staticmethod
    def resolve_total_min(i: Instrument) -> float:
        return i.total_range(len(i.items.all()))[0]

    @staticmethod
    def resolve_total_max(i: Instrument) -> float:
        return i.total_range(len(i.items.all()))[1]

    @staticmethod
    def resolve_reference_lines(i: Instrument) -> list[ReferenceLineOut]:
        return [
            ReferenceLineOut(value=float(r["value"]), label=str(r.get("label", "")))
            for r in (i.reference_lines or [])
            if isinstance(r, dict) and "value" in r
        ]


class AssessmentOut(Out):
    public_id: UUID
    person: UUID
    instrument: str
    administered_on: date
    is_self_administered: bool
    answers: dict[str, int]
    total: float
    subscale_scores: dict[str, float]
    note: str
    recorded_by: str | None
    recorded_at: datetime
    is_void: bool

    paths = {"instrument": "instrument.code", "recorded_by": "recorded_by.display_name"}


class AssessmentIn(Schema):
    instrument: Text = Field(..., max_length=40, description="The instrument's code, e.g. barc-10.")
    answers: dict[str, int] = Field(
        ..., description="The answer to each item, by item number.", max_length=200
    )
    administered_on: Day | None = None
    is_self_administered: bool = Field(False, description="The person answered on their own.")
    note: Text = Field("", max_length=1000)
    client_id: UUID | None = Field(
        None, description="A UUID the device makes: sending it again returns the first record."
    )


@router.get(
    "/recovery/instruments",
    response={200: list[InstrumentOut], **READ_ERRORS},
    summary="The recovery capital instruments offered, with their items and scales",
)
@audit_exempt("reference data about no one")
def instrument_list(request: HttpRequest) -> Status[list[InstrumentOut]]:
    policy.require(request.user, "recovery.view_instruments")
    return Status(200, [InstrumentOut.of(i) for i in selectors.instruments()])


person_records(
    router,
    "/recovery/persons/{public_id}/assessments",
    AssessmentOut,
    lambda person, user: selectors.assessments_of(person, user).select_related("person"),
    name="assessment_list",
    action="recovery.view_capital",
    what="api recovery capital",
    summary="A person's recovery capital assessments, oldest first",
    audit="reads a person's assessments (audited by get_person_for)",
)


@router.post(
    "/recovery/persons/{public_id}/assessments",
    response={201: AssessmentOut, **WRITE_ERRORS},
    summary="Record an assessment with the person; the server scores it",
)
@audited_write("records an assessment (audited by get_person_for and record_assessment)")
def assessment_create(
    request: HttpRequest, public_id: UUID, payload: AssessmentIn
) -> Status[AssessmentOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.record_assessment", what="api new assessment"
    )
    instrument = selectors.get_instrument(request.user, payload.instrument)
    assessment = services.record_assessment(
        person,
        actor=request.user,
        instrument=instrument,
        **payload.model_dump(exclude={"instrument"}),
    )
    return Status(201, AssessmentOut.of(assessment))
