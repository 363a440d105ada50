"""No page or API answer is kept by the browser: after a sign-out on a shared workstation,
the Back button must not bring back a census or a person's record from the cache. Every page
route, opened signed in (its found, refused and not-found answers alike), and the API say
"no-store"; the one response that names its own caching (the service worker script, which
names no one) keeps it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from pillars.core.tests.routes import example_url, session_routes
from pillars.core.tokens import create_token
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

# Responses that set their own Cache-Control, and why that is safe.
OWN_CACHING = {"rounds:offline-worker"}  # static script: re-checked (no-cache), names no one


def test_every_page_answer_says_no_store(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    client.raise_request_exception = False
    kept = []
    for route in session_routes():
        if route.name in OWN_CACHING:
            continue
        response = client.get(example_url(route.pattern))
        if "no-store" not in response.get("Cache-Control", ""):
            kept.append(f"{route.name}: {response.status_code} {response.get('Cache-Control')}")
    assert not kept, "answers a browser may keep:\n" + "\n".join(kept)
    # The walk was signed in to its end.
    assert client.get("/").status_code == 200


def test_the_person_pages_and_the_api_say_no_store(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    for url in (
        reverse("people:person-list"),
        reverse("people:person-detail", args=[world.person_a.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    _, secret = create_token(world.user("nurse"), name="t", scopes=["read"], days=1)
    response = client.get(
        f"/api/v1/persons/{world.person_a.public_id}", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_response_that_names_its_own_caching_keeps_it(world: World, signed_in: Any) -> None:
    response = signed_in("bht").get(reverse("rounds:offline-worker"))
    assert response["Cache-Control"] == "no-cache"
