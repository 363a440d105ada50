"""The JSON API a signed, versioned plan shares (``core.plan_versions``): how a version is
read, the replay-safe inputs for saving a draft and signing it, and the calls both plans'
routes make. The safety plan's and the wellness plan's routers keep their own paths, schema
names, permissions and audit words; the OpenAPI document shows them as before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_routes import add_route, on_record
from pillars.core.api_types import Text
from pillars.core.entry import Out
from pillars.core.plan_versions import PlanVersions


class PlanDraftIn(Schema):
    """Each plan names its own subclass and gives ``sections`` its entry type and words."""

    review_on: Any
    sections: Any
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")

    def content(self) -> dict[str, list[dict[str, Any]]]:
        """The entries by section code, as the service checks them."""
        return {code: [e.model_dump() for e in entries] for code, entries in self.sections.items()}


class PlanSignIn(Schema):
    """Each plan names its own subclass and gives ``person_signature`` its choices."""

    person_signature: Any
    typed_name: Text = Field("", max_length=150, description="Typed by the person on the tablet.")
    attested: bool = Field(False, description="Staff saw the person sign the paper copy.")
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")

    def sign(self, version: Any, actor: Any, sign: Callable[..., Any]) -> Any:
        """Sign ``version`` with the app's service."""
        return sign(
            version,
            actor=actor,
            person_signature=str(self.person_signature),
            typed_name=self.typed_name,
            attested=self.attested,
        )


class PlanVersionOut(Out):
    """The base of a plan version's schema: each plan declares its fields (their order is its
    OpenAPI shape) and resolves its ``sections``; who drafted and who signed are named."""

    paths = {"drafted_by": "drafted_by.display_name", "signed_by": "signed_by.display_name"}


@dataclass(frozen=True)
class PlanWrites:
    """The two write routes of one kind of plan, added to its router by ``add_to``: saving the
    draft (``draft_path``, a person's public id) and signing it (``sign_path``, the version's).
    Both are replay-safe and answer with the version as ``out``. ``module`` names the handlers'
    module, so their operation ids stay the router's own."""

    plan_name: str  # "safety plan", for the audited reads
    module: str
    out: Any  # the version schema, with ``of(version)``
    draft_in: type[PlanDraftIn]
    sign_in: type[PlanSignIn]
    draft_path: str
    sign_path: str
    draft_summary: str
    sign_summary: str
    versions: PlanVersions  # its actions guard the draft and the signing
    get_person: Callable[..., Any]
    get_version: Callable[..., Any]
    save: Callable[..., Any]
    sign: Callable[..., Any]

    def add_to(self, router: Router, errors: dict[int, Any]) -> None:
        name = self.plan_name

        def save_draft(request: HttpRequest, public_id: UUID, payload: PlanDraftIn) -> Any:
            person = self.get_person(
                request.user, public_id, self.versions.draft_action, what=f"api {name} draft"
            )
            draft = self.save(
                person, actor=request.user, content=payload.content(), review_on=payload.review_on
            )
            return Status(200, self.out.of(draft))

        def sign(request: HttpRequest, public_id: UUID, payload: PlanSignIn) -> Any:
            version = self.get_version(
                request.user, public_id, self.versions.sign_action, what=f"api {name} to sign"
            )
            return Status(200, self.out.of(payload.sign(version, request.user, self.sign)))

        routes = (
            (save_draft, self.draft_in, self.draft_path, self.draft_summary, "saves a {} draft"),
            (sign, self.sign_in, self.sign_path, self.sign_summary, "signs a {} version"),
        )
        for handler, payload, path, summary, what in routes:
            add_route(
                router,
                "post",
                path,
                handler,
                name=handler.__name__,
                module=self.module,
                params=on_record(payload),
                out=self.out,
                status=200,
                errors=errors,
                summary=summary,
                audit=f"{what.format(name)} (audited by the selector and the service)",
            )
