"""The JSON API a signed, versioned plan shares (``core.plan_versions``): the fields every
version shows, the replay-safe inputs for saving a draft and signing it, and the calls both
plans' routes make. The safety plan's and the wellness plan's routers keep their own paths,
schema names, permissions and audit words; the OpenAPI document shows them as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from pillars.core.api_types import Text


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


def version_fields(version: Any) -> dict[str, Any]:
    """The fields every plan version shows, by name; the plan adds its sections."""
    return {
        "public_id": version.public_id,
        "person": version.person.public_id,
        "number": version.number,
        "status": version.status,
        "review_on": version.review_on,
        "drafted_by": version.drafted_by.display_name,
        "drafted_at": version.drafted_at,
        "person_signature": version.person_signature,
        "person_signed_name": version.person_signed_name,
        "person_signed_at": version.person_signed_at,
        "signed_by": version.signed_by.display_name if version.signed_by else None,
        "signed_at": version.signed_at,
    }
