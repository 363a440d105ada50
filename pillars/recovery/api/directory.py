"""The resource directory in the JSON API: search, one service, saving a service for a
person, and the administrator's import (dry run or commit) and export of HSDS 3.0 packages.

A confidential location's address and coordinates are never stored, so no answer carries
them; its service answers ``confidential: true`` and its hotline.
"""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import WRITE_ERRORS, error_responses
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Text
from pillars.core.declare import audit_exempt, audited
from pillars.core.entry import Out
from pillars.core.errors import invalid
from pillars.people import selectors as people_selectors
from pillars.recovery.hsds.package import PackageRefused
from pillars.recovery.models import HsdsService
from pillars.recovery.selectors import directory as selectors
from pillars.recovery.services import directory as services

router = Router(tags=["directory"])

READ_ERRORS = error_responses(401, 403, 404, 422)


class DirectorySearchIn(Schema):
    need: Text = Field("", max_length=300, description="A taxonomy term's id, code or name.")
    words: Text = Field("", max_length=200)
    language: Text = Field("", max_length=60, description="A language code (es) or name.")
    address: Text = Field(
        "",
        max_length=300,
        description="Measure distance from this US address: from a directory location when it "
        "is exactly that location's address, else from the centre of its ZIP code (refused "
        "without a known ZIP code). Not with latitude and longitude.",
    )
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    within_km: float = Field(25.0, gt=0, le=selectors.MAX_RADIUS_KM)
    open_now: bool = False
    free: bool = False
    age: int | None = Field(None, ge=0, le=130)


class DirectoryLocationOut(Schema):
    public_id: UUID
    name: str
    confidential: bool
    time_zone: str
    address: str | None = Field(None, description="Never given for a confidential location.")
    latitude: float | None = None
    longitude: float | None = None


class DirectoryPhoneOut(Schema):
    number: str
    description: str


class DirectoryResultOut(Schema):
    public_id: UUID
    name: str
    organization: str
    confidential: bool
    reasons: list[str]
    distance_km: float | None
    distance_from: str | None = Field(
        None,
        description="What distance_km is measured from when the search gave an address: "
        "'the centre of ZIP code 19107', or a directory location's address.",
    )
    open_until: str | None


class DirectoryServiceOut(Schema):
    public_id: UUID
    name: str
    organization: str
    description: str
    status: str
    eligibility_description: str
    fees_description: str
    confidential: bool
    needs: list[str]
    languages: list[str]
    phones: list[DirectoryPhoneOut]
    locations: list[DirectoryLocationOut]


class DirectoryImportIn(Schema):
    package_base64: str = Field(
        min_length=1,
        description="A zip archive of the package's CSV files, or an HSDS JSON document, "
        "base64-encoded.",
    )
    commit: bool = Field(False, description="False (the default): check only.")


class DirectoryProblemOut(Schema):
    file: str
    row: int | None
    field: str
    message: str


class DirectoryImportOut(Schema):
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    summary: str
    problems: list[DirectoryProblemOut]
    kept_confidential: list[str] = Field(
        default_factory=list,
        description="Rows that say a place or service is not confidential while Pillars holds "
        "it as confidential ('kept confidential: <name> (<file> row <n>)'): an import never "
        "lowers confidentiality; an administrator changes it in Pillars.",
    )


class DirectoryExportOut(Schema):
    files: dict[str, str] = Field(description="File name to its text (CSV, datapackage.json).")


class SaveResourceIn(Schema):
    person: UUID
    note: Text = Field("", max_length=services.MAX_NOTE)


class SavedResourceOut(Out):
    public_id: UUID
    person: UUID
    service: UUID
    note: str


def _service_out(service: HsdsService) -> DirectoryServiceOut:
    confidential = selectors.is_confidential(service)
    locations = []
    for sal in service.service_at_locations.all():
        loc = sal.location
        hidden = confidential or loc.x_confidential
        address = next((a.one_line() for a in loc.addresses.all()), None)
        locations.append(
            DirectoryLocationOut(
                public_id=loc.public_id,
                name=loc.name,
                confidential=hidden,
                time_zone=loc.x_timezone,
                address=None if hidden else address,
                latitude=None if hidden else loc.latitude,
                longitude=None if hidden else loc.longitude,
            )
        )
    return DirectoryServiceOut(
        public_id=service.public_id,
        name=service.name,
        organization=service.organization.name,
        description=service.description,
        status=service.status,
        eligibility_description=service.eligibility_description,
        fees_description=service.fees_description,
        confidential=confidential,
        needs=[t.name for t in selectors.needs_of(service)],
        languages=[lang.name or lang.code for lang in service.languages.all()],
        phones=[
            DirectoryPhoneOut(number=p.number, description=p.description)
            for p in service.phones.all()
        ],
        locations=locations,
    )


@router.get(
    "/directory/services",
    response={200: list[DirectoryResultOut], **READ_ERRORS},
    summary="Search the resource directory; each result says why it matched",
)
@audited("directory search: a SEARCH event naming no person")
def search(
    request: HttpRequest, filters: Query[DirectorySearchIn]
) -> Status[list[DirectoryResultOut]]:
    if (filters.latitude is None) != (filters.longitude is None):
        raise invalid("longitude", "Give both latitude and longitude, or neither.")
    given = filters.dict()
    address = given.pop("address").strip()
    if address and filters.latitude is not None:
        raise invalid("address", "Give an address or a point, not both.")
    if address:
        del given["latitude"], given["longitude"]
        query = selectors.DirectoryQuery.from_address(address, **given)
    else:
        query = selectors.DirectoryQuery(**given)
    origin = query.origin.label if query.origin else None
    results = selectors.search(request.user, query)
    return Status(
        200,
        [
            DirectoryResultOut(
                public_id=r.service.public_id,
                name=r.service.name,
                organization=r.service.organization.name,
                confidential=selectors.is_confidential(r.service),
                reasons=r.reasons,
                distance_km=None if r.distance_km is None else round(r.distance_km, 2),
                distance_from=origin if r.distance_km is not None else None,
                open_until=r.open_until,
            )
            for r in results
        ],
    )


@router.get(
    "/directory/services/{public_id}",
    response={200: DirectoryServiceOut, **READ_ERRORS},
    summary="One directory service with its contacts, places and needs",
)
@audit_exempt("a community service's public directory entry: reference data, no person's")
def service_detail(request: HttpRequest, public_id: UUID) -> Status[DirectoryServiceOut]:
    return Status(200, _service_out(selectors.get_service_for(request.user, public_id)))


@router.post(
    "/directory/services/{public_id}/save",
    response={201: SavedResourceOut, **WRITE_ERRORS},
    summary="Save a directory service for a person served",
)
@audited_write("saves a resource for a person (get_person_for and save_resource audit)")
def save(
    request: HttpRequest, public_id: UUID, payload: SaveResourceIn
) -> Status[SavedResourceOut]:
    service = selectors.get_service_for(request.user, public_id)
    person = people_selectors.get_person_for(
        request.user, payload.person, "recovery.save_resource", what="api save resource"
    )
    saved = services.save_resource(person, service, actor=request.user, note=payload.note)
    return Status(201, SavedResourceOut.of(saved))


@router.post(
    "/directory/import",
    response={200: DirectoryImportOut, **WRITE_ERRORS},
    summary="Check an HSDS 3.0 package and, with commit, import all of it or nothing",
)
@audited_write("imports an HSDS package (import_package writes the IMPORT event)")
def import_package(request: HttpRequest, payload: DirectoryImportIn) -> Status[DirectoryImportOut]:
    policy.require(request.user, "recovery.manage_directory")
    try:
        data = base64.b64decode(payload.package_base64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("package_base64", "This is not base64 text.") from None
    try:
        files = services.files_of_upload(data)
        report = services.import_package(
            files, actor=request.user, commit=payload.commit, source="api"
        )
    except PackageRefused as exc:
        raise invalid("package_base64", exc.message) from None
    return Status(
        200,
        DirectoryImportOut(
            committed=report.committed,
            rows=report.rows,
            created=report.total("created"),
            updated=report.total("updated"),
            unchanged=report.total("unchanged"),
            summary=report.summary(),
            problems=[
                DirectoryProblemOut(file=p.file, row=p.row, field=p.field, message=p.message)
                for p in report.problems[:1000]
            ],
            kept_confidential=report.kept,
        ),
    )


@router.get(
    "/directory/export",
    response={200: DirectoryExportOut, **READ_ERRORS},
    summary="The whole directory as an HSDS 3.0 tabular package",
)
@audited("exports the directory through core.exports (an EXPORT event)")
def export_package(request: HttpRequest) -> Status[DirectoryExportOut]:
    files = services.export_package(actor=request.user)
    return Status(200, DirectoryExportOut(files={k: v.decode("utf-8") for k, v in files.items()}))
