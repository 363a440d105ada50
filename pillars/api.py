"""The JSON API at /api/v1/ (django-ninja), with its OpenAPI schema at /api/v1/openapi.json.

Handlers are as thin as views: parse with a schema, fetch with a selector, call one service.
Every route but the token exchange and the schema needs ``Authorization: Bearer <token>``;
errors answer ``application/problem+json`` (``pillars.core.api_errors``). There is no docs page:
the schema is the documentation, and a docs page would need script from elsewhere (our CSP allows
only our own).

Each handler carries ``@audited`` or ``@audit_exempt`` like a view; ``PillarsAPI`` copies those
declarations onto the URL patterns ninja generates, so the test that walks every URL pattern sees
them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import Field, NinjaAPI, Schema, Status
from ninja.operation import PathView

from pillars.core import api_auth, api_errors, policy, tokens
from pillars.core.api_errors import PROBLEM_CONTENT_TYPE, error_responses
from pillars.core.api_types import Text
from pillars.core.declare import audit_exempt, declaration_of
from pillars.incidents.api import router as incidents_router
from pillars.insights.api import router as insights_router
from pillars.people import selectors
from pillars.people.api import router as people_router
from pillars.people.consent_api import router as consent_router
from pillars.people.inbox_api import router as alerts_router
from pillars.recovery.api import router as recovery_router
from pillars.rounds.api import router as rounds_router
from pillars.workforce.api import router as workforce_router

# Answers any operation can give, added to every operation's documented responses: a body that
# is not JSON (400), input that does not validate (422), and for token routes a missing token.
ALWAYS = (400, 422)
WITH_TOKEN = (401,)


class PillarsAPI(NinjaAPI):
    """NinjaAPI that documents problem+json errors and carries audit declarations to URLs."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            callback = getattr(pattern, "callback", None)
            if callback is None or declaration_of(callback) is not None:
                continue
            declared = _declaration_for(callback)
            if declared is not None:
                callback.audit_declaration = declared
        return patterns

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                codes = ALWAYS + (WITH_TOKEN if operation.get("security") else ())
                for code in codes:
                    responses.setdefault(
                        str(code), {"description": api_errors.TITLES[code], "content": {}}
                    )
                for response in responses.values():
                    content = response.get("content", {})
                    if not content or content.get("application/json", {}).get("schema") == (
                        problem_ref
                    ):
                        content.pop("application/json", None)
                        content[PROBLEM_CONTENT_TYPE] = {"schema": problem_ref}
                        response["content"] = content
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "Problem", api_errors.Problem.model_json_schema()
        )
        return schema


def _declaration_for(callback: Any) -> tuple[str, str] | None:
    """The audit declaration of a generated URL: openapi/root are exempt; an operation path is
    declared when every one of its handlers is (audited if any of them is)."""
    if getattr(callback, "func", None) is not None:  # functools.partial: schema and root views
        return ("exempt", "API schema and root: no data")
    path_view = next(
        (
            cell.cell_contents
            for cell in getattr(callback, "__closure__", None) or ()
            if isinstance(cell.cell_contents, PathView)
        ),
        None,
    )
    if path_view is None:
        return None
    found = [declaration_of(op.view_func) for op in path_view.operations]
    if not found or any(d is None for d in found):
        return None
    audited_whats = [d[1] for d in found if d is not None and d[0] == "audited"]
    if audited_whats:
        return ("audited", "; ".join(audited_whats))
    return ("exempt", "; ".join(d[1] for d in found if d is not None))


api = PillarsAPI(
    title="Pillars API",
    version="1",
    description=(
        "The Pillars JSON API. Get a token with POST /auth/token, then send "
        "Authorization: Bearer <token>. Errors are application/problem+json."
    ),
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
    auth=api_auth.TokenAuth(),
)
api_errors.install(api)


# --- Token exchange and who am I ---------------------------------------------------------------


class TokenRequest(Schema):
    """A sign-in name and password (and a 6-digit code when the role needs two-factor)."""

    username: Text = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=1024)
    otp: Text | None = Field(None, max_length=10, description="The authenticator app's code.")
    name: Text = Field("API token", min_length=1, max_length=100)
    scopes: list[Literal["read", "write"]] = Field(default=["read", "write"], min_length=1)
    days: int = Field(tokens.DEFAULT_DAYS, ge=1, le=90, description="Lifetime, 1-90 days.")


class TokenOut(Schema):
    """The new token: the secret is shown this once and cannot be fetched again."""

    public_id: UUID
    name: str
    token: str
    scopes: list[str]
    expires_at: datetime


@api.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, **error_responses(401, 403, 422, 429)},
    summary="Exchange a sign-in name and password for a personal access token",
    tags=["auth"],
)
@audit_exempt("token exchange: sign-in failures and the new token are audited by their services")
def create_token(request: HttpRequest, payload: TokenRequest) -> Status[TokenOut]:
    token, secret = api_auth.exchange(
        request,
        **payload.model_dump(),
    )
    return Status(
        201,
        TokenOut(
            public_id=token.public_id,
            name=token.name,
            token=secret,
            scopes=list(token.scopes),
            expires_at=token.expires_at,
        ),
    )


class MyUnit(Schema):
    public_id: UUID
    name: str
    code: str


class MeOut(Schema):
    """The signed-in staff member, their roles and units, and the token in use."""

    user_id: UUID
    staff_id: UUID
    username: str
    display_name: str
    roles: list[str]
    units: list[MyUnit]
    token_scopes: list[str]
    token_expires_at: datetime


@api.get("/me", response={200: MeOut, **error_responses(401)}, summary="Who am I", tags=["auth"])
@audit_exempt("the caller's own profile: no person-served information")
def me(request: HttpRequest) -> MeOut:
    actor = policy.actor_for(request.user)
    token = request.auth  # type: ignore[attr-defined]
    staff = selectors.get_staff_for(request.user, request.user.staff.public_id)  # type: ignore[union-attr]
    units = selectors.units_visible_to(request.user).filter(pk__in=actor.unit_ids)
    return MeOut(
        user_id=request.user.public_id,  # type: ignore[union-attr]
        staff_id=staff.public_id,
        username=request.user.get_username(),
        display_name=staff.display_name,
        roles=sorted(actor.roles),
        units=[MyUnit(public_id=u.public_id, name=u.name, code=u.code) for u in units],
        token_scopes=sorted(token.scopes),
        token_expires_at=token.expires_at,
    )


api.add_router("", people_router)
api.add_router("", rounds_router)
api.add_router("", incidents_router)
api.add_router("", recovery_router)
api.add_router("", workforce_router)
api.add_router("", consent_router)
api.add_router("", insights_router)
api.add_router("", alerts_router)

__all__ = ["PillarsAPI", "api"]
