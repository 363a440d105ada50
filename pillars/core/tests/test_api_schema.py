"""The API's shape: its OpenAPI schema, declarations, problem+json errors, no docs page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pillars.api import api
from pillars.core import api_errors
from pillars.core.declare import declaration_of
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.core.tests.matrix_support import area_modules
from pillars.core.tests.routes import api_routes
from pillars.people.testing import World

SCHEMA_URL = "/api/v1/openapi.json"


@pytest.fixture
def schema(db: Any) -> dict[str, Any]:
    response = Client().get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_schema_is_public_and_lists_every_route(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"
    expected = {
        ("/api/v1/auth/token", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/persons", "get"),
        ("/api/v1/persons", "post"),
        ("/api/v1/persons/{public_id}", "get"),
        ("/api/v1/persons/{public_id}", "patch"),
        ("/api/v1/persons/{public_id}/admit", "post"),
        ("/api/v1/admissions", "post"),
        ("/api/v1/units/{public_id}/orders", "get"),
        ("/api/v1/orders/{public_id}/checks", "post"),
        ("/api/v1/episodes/{public_id}/transfer", "post"),
        ("/api/v1/episodes/{public_id}/discharge", "post"),
        ("/api/v1/units", "get"),
        ("/api/v1/units/{public_id}/census", "get"),
        ("/api/v1/staff", "get"),
        ("/api/v1/staff/{public_id}", "get"),
    }
    # Each area lists its own operations in its matrix module (matrix_support).
    for module in area_modules():
        for operation in getattr(module, "API", {}):
            method, path = operation.split(" ", 1)
            expected.add((path, method.lower()))
    assert {(p, m) for p, m, _ in _operations(schema)} == expected


def test_every_route_but_the_exchange_needs_a_token(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        secured = bool(operation.get("security"))
        assert secured == (path != "/api/v1/auth/token"), (path, method)
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_errors_are_documented_as_problem_json(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        assert {"400", "422"} <= set(responses), (path, method)
        if operation.get("security"):
            assert "401" in responses, (path, method)
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)
            elif path.endswith("/pdf"):
                # A printable copy (a file download) is the one success that is not JSON.
                assert list(response["content"]) == ["application/pdf"], (path, status)
            else:
                assert list(response["content"]) == ["application/json"], (path, status)


def test_writes_document_the_idempotency_key(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        if method not in {"post", "patch"} or path == "/api/v1/auth/token":
            continue
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], (path, method)
        assert "409" in operation["responses"], (path, method)


def test_no_integer_keys_in_any_schema(schema: dict[str, Any]) -> None:
    for name, component in schema["components"]["schemas"].items():
        for prop, spec in component.get("properties", {}).items():
            assert prop not in {"id", "pk"}, (name, prop)
            if prop == "public_id" or prop.endswith("_id"):
                types = [spec.get("type")] + [s.get("type") for s in spec.get("anyOf", [])]
                assert "integer" not in types, (name, prop)


def test_no_docs_page(db: Any) -> None:
    # A docs page would load script from a CDN, which the CSP forbids: the schema is the docs.
    assert Client().get("/api/v1/docs").status_code == 404


def test_every_api_handler_is_declared() -> None:
    undeclared = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                declared = declaration_of(operation.view_func)
                if declared is None or not declared[1].strip():
                    undeclared.append(f"{operation.methods} {operation.view_func.__name__}")
    assert not undeclared


def test_generated_url_patterns_carry_the_declarations() -> None:
    routes = api_routes()
    assert len(routes) >= 10
    for route in routes:
        assert declaration_of(route.callback) is not None, route.pattern


# --- Errors answer problem+json ------------------------------------------------------------------


def test_404_and_405(world: World) -> None:
    client = api_as(world.user("nurse"))
    body = assert_problem(client.get("/persons/00000000-0000-4000-8000-000000000000"), 404)
    assert body["type"] == "about:blank"
    response = client.client.delete(
        "/api/v1/persons", headers={"Authorization": f"Bearer {client.secret}"}
    )
    assert response.status_code == 405


def test_body_that_is_not_json_is_400(world: World) -> None:
    client = api_as(world.user("nurse"))
    response = client.client.post(
        "/api/v1/persons",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.secret}"},
    )
    assert_problem(response, 400)


def test_unexpected_error_is_500_without_internals(world: World, monkeypatch: Any) -> None:
    from pillars.people import selectors

    def broken(user: Any) -> Any:
        raise RuntimeError("secret internals: table xyz")

    monkeypatch.setattr(selectors, "units_visible_to", broken)
    body = assert_problem(api_as(world.user("nurse")).get("/units"), 500)
    assert "secret" not in body["detail"]
    assert set(body) == {"type", "title", "status", "detail"}


def test_problem_helper_shape() -> None:
    response = api_errors.problem(422, "Bad.", errors={"x": ["No."]})
    assert response["Content-Type"] == "application/problem+json"
    assert response.status_code == 422


def test_field_errors_keep_field_names() -> None:
    from django.core.exceptions import ValidationError

    assert api_errors.field_errors(ValidationError({"a": ["one"], "b": ["two"]})) == {
        "a": ["one"],
        "b": ["two"],
    }
    assert api_errors.field_errors(ValidationError("whole")) == {"__all__": ["whole"]}


def test_no_two_api_schemas_share_a_name() -> None:
    """The OpenAPI document names each schema by its class name: two classes with one name
    (a behavior plan's PlanOut and a safety plan's) become one component, and clients and the
    fuzz run read the wrong shape for one of the routes."""
    import re
    from collections import Counter
    from pathlib import Path

    import pillars

    root = Path(pillars.__file__).parent
    names: Counter[str] = Counter()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        names.update(re.findall(r"^class (\w+)\((?:Schema|ModelSchema)\)", path.read_text(), re.M))
    assert [name for name, n in names.items() if n > 1] == []
