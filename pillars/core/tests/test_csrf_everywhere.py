"""Every page route refuses a POST that comes without the form's security token, the way a
forged cross-site form arrives with the victim's session cookie: 403, on the project's page
saying nothing was saved, and nothing written. Only routes signed in with a bearer token
(the API, FHIR bulk export) and the benchmark's baseline views take no token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pillars.audit.models import AuditEvent
from pillars.core.tests.routes import example_url, session_routes
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def forged_client(role: str, signed_in: Any) -> Client:
    """A signed-in client whose posts carry the session cookie but no CSRF token."""
    client: Client = signed_in(role)
    client.handler.enforce_csrf_checks = True
    return client


def test_every_page_route_refuses_a_post_without_its_token(world: World, signed_in: Any) -> None:
    routes = session_routes()
    assert len(routes) > 100, "the walk found too few routes to mean anything"
    client = forged_client("admin", signed_in)
    events = AuditEvent.objects.count()
    accepted = []
    for route in routes:
        response = client.post(example_url(route.pattern), {"anything": "1"})
        if response.status_code != 403 or b"This form has expired" not in response.content:
            accepted.append(f"{route.name} ({route.pattern}): {response.status_code}")
    assert not accepted, "POST without a CSRF token was not refused:\n" + "\n".join(accepted)
    # Refused before any view ran: not even a read was audited.
    assert AuditEvent.objects.count() == events


def test_the_refusal_page_says_nothing_was_saved(world: World, signed_in: Any) -> None:
    client = forged_client("nurse", signed_in)
    response = client.post("/people/persons/new/", {"record_number": "X-1"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "This form has expired. Nothing was saved." in text
    assert "reload the page" in text
    # The page is the project's own, with its shell (the signed-in user's navigation).
    assert "<nav" in text
