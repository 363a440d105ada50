"""The permission matrix: every page route and every API operation, for every role, an outsider
from another unit and an anonymous visitor. A route missing from the matrix fails the suite.

Codes: A allowed (2xx/3xx other than to sign-in), V allowed but refused for its content (400,
409 or 422: the permission check passed, the body did not; a V beside F for other roles shows
the permission is decided before the content), F 403,
N 404 (out of scope: indistinguishable from a record that does not exist), L sent to sign-in,
U 401 (API without a token), M 405 (wrong method).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from conftest import client_for, client_of, module_data
from pillars.core import clock
from pillars.core.tests.matrix_support import WHO, Case, area_fixtures, merged
from pillars.core.tests.routes import api_routes, page_routes
from pillars.people.models import (
    CaseloadAssignment,
    EmergencyAccess,
    Episode,
    Organization,
    PersonServed,
    Placement,
    Site,
)
from pillars.people.testing import (
    PersonFactory,
    StaffFactory,
    World,
    build_world,
    make_person,
    make_unit,
    place,
)
from pillars.rounds.models import ObservationLevel, ObservationOrder

# The matrix decides who may reach what, in the policy layer, above the database: it runs once,
# in bin/test's PostgreSQL stage (production's database), where every view also meets the
# database it is deployed on. The unit tests of each view run on both databases.
pytestmark = pytest.mark.once
# Each of its four tables below is a group of its own for the workers (a worker that runs one
# builds the module's world once): the whole module as one group kept one worker busy for half
# the stage.


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def incidents_section(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    # An on-demand section of the person page (people.sections), loaded when opened.
    return {"public_id": w.person_a.public_id, "key": "incidents-incidents"}


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def nurse_staff(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["nurse"].public_id}


def assignment(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["assignment"].public_id}


def grant(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["grant"].public_id}


def own_token(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["token"].public_id}


#                          bht nur cli pee sup dir pri adm out anon
FOUNDATION_PAGES: dict[str, Case] = {
    "healthz": Case("GET", "A A A A A A A A A A"),
    "readyz": Case("GET", "A A A A A A A A A A"),
    "core:home": Case("GET", "A A A A A A A A A L"),
    "core:login": Case("GET", "A A A A A A A A A A"),
    "core:logout": Case("POST", "L L L L L L L L L L"),
    "core:two-factor": Case("GET", "A A A A A A A A A L"),
    "core:still-here": Case("POST", "A A A A A A A A A L"),
    "tablets:register": Case("GET", "F A F F F F F A F L"),
    "tablets:forget": Case("POST", "L L L L L L L L L L"),
    # Without a trusted-tablet cookie nobody may switch in by badge.
    "tablets:switch": Case("GET", "F F F F F F F F F F"),
    "tablets:pin": Case("GET", "A A A A A A A A A L"),
    "core:token-list": Case("GET", "A A A A A A A A A L"),
    "core:token-create": Case("GET", "A A A A A A A A A L"),
    # A token is visible to its owner only (the nurse's token here).
    "core:token-revoke": Case("POST", "N A N N N N N N N L", own_token),
    "people:person-list": Case("GET", "A A A A A A F F A L"),
    "people:person-create": Case("GET", "F A A F F F F F F L"),
    "people:person-detail": Case("GET", "A A A A A A F F N L", person_a),
    "people:person-section": Case("GET", "A A A A A A F F N L", incidents_section),
    "people:person-edit": Case("GET", "F A A F F F F F N L", person_a),
    "people:person-admit": Case("GET", "F A A F F F F F N L", person_a),
    "people:person-transfer": Case("GET", "F A A F F F F F N L", person_a),
    "people:person-discharge": Case("GET", "F A A F F F F F N L", person_a),
    "people:caseload-assign": Case("POST", "F A A F A F F F N L", person_a),
    "people:caseload-end": Case("POST", "F A A F A F F F N L", assignment),
    "people:unit-list": Case("GET", "A A A A A A A A A L"),
    "people:unit-detail": Case("GET", "A A A A A A A A N L", unit_a),
    "people:staff-list": Case("GET", "A A A A A A A A A L"),
    "people:staff-create": Case("GET", "F F F F F F F A F L"),
    "people:staff-detail": Case("GET", "A A A A A A A A N L", nurse_staff),
    "people:staff-edit": Case("GET", "F F F F F F F A N L", nurse_staff),
    "people:staff-own-profile": Case("GET", "F A F F F F F F N L", nurse_staff),
    "people:staff-roles": Case("GET", "F F F F F F F A N L", nurse_staff),
    "people:staff-exit": Case("GET", "F F F F F F F A N L", nurse_staff),
    "people:import": Case("GET", "F F F F F F F A F L"),
    "people:emergency-start": Case("GET", "F A A F F F F F F L"),
    "people:admission": Case("GET", "F A A F F F F F F L"),
    "people:emergency-review-list": Case("GET", "F F F F F F A F F L"),
    # The nurse's own grant: visible to the nurse (but not theirs to review) and to privacy.
    "people:emergency-review": Case("POST", "N F N N N N A N N L", grant),
    "audit:report": Case("GET", "F F F F F F A F F L"),
    "audit:report-csv": Case("GET", "F F F F F F A F F L"),
    "audit:verify": Case("GET", "F F F F F F A F F L"),
}


def new_person(w: World, who: str) -> dict[str, Any]:
    return {
        "record_number": f"MRN-NEW-{who}",
        "legal_given_name": "Sam",
        "legal_family_name": "Lee",
        "date_of_birth": "1985-02-03",
    }


def to_unit_a(w: World, who: str) -> dict[str, Any]:
    return {"unit": str(w.unit_a.public_id), "bed": str(w.beds_a[1].public_id)}


def returning_to_unit_a(w: World, who: str) -> dict[str, Any]:
    return {"record_number": RETURNING, "unit": str(w.unit_a.public_id)}


def episode(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["episode"].public_id}


# Writes carry a valid body, so a refusal is the policy's and not the schema's; each request
# runs in a transaction that is rolled back, so every role meets the same state.
#                                               bht nur cli pee sup dir pri adm out anon
FOUNDATION_API: dict[str, Case] = {
    "POST /api/v1/auth/token": Case("POST", "V V V V V V V V V V"),
    "GET /api/v1/me": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/persons": Case("GET", "A A A A A A F F A U"),
    "POST /api/v1/persons": Case("POST", "F A A F F F F F F U", body=new_person),
    "GET /api/v1/persons/{public_id}": Case("GET", "A A A A A A F F N U", person_a),
    "PATCH /api/v1/persons/{public_id}": Case(
        "PATCH", "F A A F F F F F N U", person_a, body=lambda w, who: {"pronouns": "they/them"}
    ),
    "POST /api/v1/persons/{public_id}/admit": Case(
        "POST",
        "F V V F F F F F N U",
        person_a,
        body=lambda w, who: {"unit": str(w.unit_a.public_id)},
    ),
    # A person discharged from unit B (see _fixtures), re-admitted to unit A.
    "POST /api/v1/admissions": Case("POST", "F A A F F F F F F U", body=returning_to_unit_a),
    "POST /api/v1/episodes/{public_id}/transfer": Case(
        "POST", "F A A F F F F F N U", episode, body=to_unit_a
    ),
    "POST /api/v1/episodes/{public_id}/discharge": Case(
        "POST", "F A A F F F F F N U", episode, body=lambda w, who: {"disposition": "home"}
    ),
    "GET /api/v1/units": Case("GET", "A A A A A A A A A U"),
    # The administrator sees the unit (reference data) but not who is on it.
    "GET /api/v1/units/{public_id}/census": Case("GET", "A A A A A A F F N U", unit_a),
    "GET /api/v1/staff": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/staff/{public_id}": Case("GET", "A A A A A A A A N U", nurse_staff),
    "GET /api/v1/units/{public_id}/orders": Case("GET", "A A A A A A F F N U", unit_a),
    "POST /api/v1/orders/{public_id}/checks": Case(
        "POST",
        "A A A F F F F F N U",
        lambda w, e: {"public_id": e["order"].public_id},
        body=lambda w, who: {
            "client_id": str(uuid.uuid4()),
            "observed_at": clock.now().isoformat(),
            "location": "bedroom",
            "activity": "asleep",
            "safety_status": "safe",
        },
    ),
}


PAGES = merged("PAGES", FOUNDATION_PAGES)
API = merged("API", FOUNDATION_API)


def _fixtures(world: World) -> dict[str, Any]:
    from pillars.core.tokens import create_token

    nurse = world.staff["nurse"]
    now = clock.now()
    extra: dict[str, Any] = {
        "assignment": CaseloadAssignment.objects.create(
            staff=world.staff["peer"],
            person=world.person_a,
            kind="peer",
            started_on=clock.organization_today(),
        ),
        "grant": EmergencyAccess.objects.create(
            staff=nurse,
            person=world.person_b,
            reason="Crisis call about this person",
            started_at=now - timedelta(hours=3),
            expires_at=now - timedelta(hours=2),
        ),
        "episode": world.person_a.episodes.get(),
    }
    extra["token"], _ = create_token(world.user("nurse"), name="matrix", scopes=["read"], days=30)
    extra["returning"] = _discharged_person(world)
    extra["order"] = ObservationOrder.objects.create(
        person=world.person_a,
        episode=extra["episode"],
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="matrix",
        ordered_by=nurse,
        started_at=now - timedelta(minutes=30),
        recorded_at=now,
    )
    area_fixtures(world, extra)
    return extra


RETURNING = "MRN-R1"


def _discharged_person(world: World) -> PersonServed:
    """Someone discharged from unit B last month: on no unit now, so admitted by record number."""
    person = make_person(RETURNING, "Returning")
    admitted = clock.now() - timedelta(days=30)
    episode = Episode.objects.create(
        person=person,
        admitted_at=admitted,
        admitted_by=world.staff["nurse"],
        recorded_at=admitted,
        discharged_at=admitted + timedelta(days=5),
        disposition="home",
    )
    Placement.objects.create(
        episode=episode, unit=world.unit_b, started_at=admitted, ended_at=episode.discharged_at
    )
    return person


def _canary_leaks(extra: dict[str, Any], who: str, response: Any) -> list[str]:
    """The canaries an area planted (a record only its owner may ever be shown: a wellbeing
    check-in) that this response shows to someone else."""
    canaries = extra.get("canaries", [])
    if not canaries:
        return []
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")
    return [
        secret
        for owner, secrets in canaries
        if who != owner
        for secret in secrets
        if secret in body
    ]


# A field whose typed values a browser would offer the next user of a shared workstation: any
# input that takes typed text, and text areas (hidden, ticks, choices and buttons are not).
_FIELD = re.compile(r"<(?:textarea|input)\b[^>]*>", re.IGNORECASE)
_UNTYPED = re.compile(
    r'type="(?:hidden|checkbox|radio|submit|button|file|reset|image)"', re.IGNORECASE
)


def _remembered_fields(response: Any) -> list[str]:
    """The fields of a page that say nothing of ``autocomplete``, so the browser keeps what is
    typed into them (names, dates, notes) and suggests it to whoever types there next."""
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return []
    body = response.content.decode(errors="replace")
    return [
        tag
        for tag in _FIELD.findall(body)
        if not _UNTYPED.search(tag) and "autocomplete=" not in tag.lower()
    ]


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def _title(response: Any) -> str:
    """The page's title: what the browser keeps in its history and shows in the tab list."""
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return ""
    found = _TITLE.search(response.content.decode(errors="replace"))
    return found.group(1) if found else ""


def _classify(response: Any, api: bool) -> str:
    status = response.status_code
    if status == 403:
        return "F"
    if status == 404:
        return "N"
    if status == 401:
        return "U"
    if status == 405:
        return "M"
    if status in (301, 302) and "/account/sign-in/" in response.get("Location", ""):
        return "L"
    if status in (400, 409, 422):
        return "V"
    if status < 400:
        return "A"
    return str(status)


def test_every_page_route_is_in_the_matrix() -> None:
    names = {route.name for route in page_routes()}
    assert names - set(PAGES) == set(), f"routes missing from the matrix: {names - set(PAGES)}"
    assert set(PAGES) - names == set(), f"matrix names unknown routes: {set(PAGES) - names}"


def test_every_api_operation_is_in_the_matrix() -> None:
    from pillars.api import api

    operations = {
        f"{method.upper()} {path}"
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method in ops
    }
    assert operations - set(API) == set(), f"missing from the matrix: {operations - set(API)}"
    assert set(API) - operations == set(), (
        f"matrix names unknown operations: {set(API) - operations}"
    )
    assert api_routes(), "no API routes found"


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[World, dict[str, Any]]]:
    """The world and the records the cases name, built once for the module (hundreds of
    cases read them; each case's requests roll back)."""
    from django.conf import settings

    from pillars.core.tokens import create_token

    with module_data(django_db_blocker):
        world = build_world()
        extra = _fixtures(world)
        # Each role signs in once for the module (a sign-in is an audited write); every request
        # starts a new client on that session, and rolls back whatever the request changed.
        extra["sessions"] = {
            who: client_for(world, who).cookies[settings.SESSION_COOKIE_NAME].value
            for who in WHO
            if who != "anon"
        }
        extra["tokens"] = {
            who: create_token(world.user(who), name=f"m-{who}", scopes=["read", "write"], days=1)[1]
            for who in WHO
            if who != "anon"
        }
        foreign = _another_organization(world)
        extra["secrets"] = _world_secrets(world)
        extra["foreign_sessions"] = {
            who: client_of(staff).cookies[settings.SESSION_COOKIE_NAME].value
            for who, staff in foreign.items()
        }
        extra["foreign_tokens"] = {
            who: create_token(staff.user, name=f"f-{who}", scopes=["read", "write"], days=1)[1]
            for who, staff in foreign.items()
        }
        yield world, extra


def _page_client(extra: dict[str, Any], who: str, sessions: str = "sessions") -> Client:
    from django.conf import settings

    client = Client()
    if who != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = extra[sessions][who]
    return client


def _page_answer(client: Client, method: str, url: str) -> Any:
    """One request of a case, rolled back: every role meets the same state."""
    with transaction.atomic():
        response = client.generic(method, url)
        transaction.set_rollback(True)
    return response


def _page_url(name: str, world: World, extra: dict[str, Any]) -> str:
    from django.urls import reverse

    case = PAGES[name]
    return reverse(name, kwargs=case.kwargs(world, extra) if case.kwargs else None)


def _api_path(operation: str, world: World, extra: dict[str, Any]) -> tuple[str, str]:
    case = API[operation]
    method, path = operation.split(" ", 1)
    if case.kwargs:
        for key, value in case.kwargs(world, extra).items():
            path = path.replace("{" + key + "}", str(value))
    return method, path


def _api_answer(method: str, path: str, body: str, token: str | None) -> Any:
    """One API request of a case (with a bearer token unless anonymous), rolled back."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with transaction.atomic():
        response = Client().generic(
            method, path, data=body, content_type="application/json", headers=headers
        )
        transaction.set_rollback(True)
    return response


@pytest.mark.xdist_group("matrix-pages")
@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_permissions(name: str, matrix: tuple[World, dict[str, Any]]) -> None:
    case = PAGES[name]
    world, extra = matrix
    url = _page_url(name, world, extra)
    got = {}
    for who in WHO:
        response = _page_answer(_page_client(extra, who), case.method, url)
        assert not _canary_leaks(extra, who, response), f"{name} shows {who} a canary"
        got[who] = _classify(response, api=False)
        if got[who] == "A":
            kept = _remembered_fields(response)
            assert not kept, f"{name} as {who}: fields the browser keeps: {kept[:3]}"
            title = _title(response)
            named = [p.legal_family_name for p in (world.person_a, world.person_b)]
            assert not any(n in title for n in named), f"{name} as {who}: {title!r} names"
        if got[who] in ("F", "N") and response.content:
            body = response.content.decode(errors="replace")
            assert world.person_a.legal_family_name not in body, f"{who} refusal leaks the record"
            assert world.person_a.record_number not in body, f"{who} refusal leaks the record"
    assert got == case.codes(), f"{name}: expected {case.expect!r}"


@pytest.mark.xdist_group("matrix-api")
@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(API))
def test_api_permissions(operation: str, matrix: tuple[World, dict[str, Any]]) -> None:
    case = API[operation]
    world, extra = matrix
    method, path = _api_path(operation, world, extra)
    got = {}
    for who in WHO:
        body = json.dumps(case.body(world, who)) if case.body else "{}"
        token = extra["tokens"][who] if who != "anon" else None
        response = _api_answer(method, path, body, token)
        assert not _canary_leaks(extra, who, response), f"{operation} shows {who} a canary"
        got[who] = _classify(response, api=True)
        if got[who] in ("F", "N"):
            assert response["Content-Type"].startswith("application/problem+json")
            body = response.content.decode(errors="replace")
            assert world.person_a.legal_family_name not in body
    assert got == case.codes(), f"{operation}: expected {case.expect!r}"


# --- Another organization in the same database --------------------------------------------------

# The roles that see a whole organization, and a nurse of the other organization's own unit.
FOREIGN = ("nurse", "director", "privacy", "admin")


def _another_organization(world: World) -> dict[str, Any]:
    """A second organization beside the world's, with a unit, a person placed on it and its own
    staff: what they may see is their organization's, never the world's."""
    other = Organization.objects.create(name="Elsewhere Health")
    site = Site.objects.create(organization=other, name="Far campus")
    unit, beds = make_unit(site, "q")
    staff = {
        who: StaffFactory.create(username=f"elsewhere-{who}", roles=[who], units=[unit])
        for who in FOREIGN
    }
    person = PersonFactory.create(
        record_number="MRN-Q1", legal_family_name="Quillon", organization=other
    )
    place(person, unit, beds[0], staff["nurse"])
    return staff


def _world_secrets(world: World) -> list[str]:
    """What only the world's own organization may read: its persons, record numbers, staff."""
    persons = PersonServed.objects.filter(organization=world.org)
    return [
        *(p.legal_family_name for p in persons),
        *(p.record_number for p in persons),
        *(s.display_name for s in world.staff.values()),
        *(f">{unit.name}<" for unit in (world.unit_a, world.unit_b)),
        world.site.name,
        world.program.name,
        *(f">{s.user.username}<" for s in world.staff.values()),
    ]


def _foreign_verdict(
    world: World, extra: dict[str, Any], case: Case, response: Any, api: bool
) -> list[str]:
    """What is wrong with a response to another organization's staff member: a record the
    world's outsider may not know exists must not exist for them either (404 or 403), and no
    response names the world's persons or staff."""
    wrong = []
    code = _classify(response, api=api)
    if case.codes()["outsider"] == "N" and code not in ("N", "F"):
        wrong.append(f"answered {code} where the world's outsider gets N")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")
    shown = [secret for secret in extra["secrets"] if secret in body]
    if shown:
        wrong.append(f"shows {shown[:3]}")
    return wrong


@pytest.mark.xdist_group("matrix-foreign-pages")
@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_another_organization_sees_nothing_of_this_one_on_a_page(
    name: str, matrix: tuple[World, dict[str, Any]]
) -> None:
    case = PAGES[name]
    world, extra = matrix
    url = _page_url(name, world, extra)
    wrong = {}
    for who in FOREIGN:
        client = _page_client(extra, who, sessions="foreign_sessions")
        response = _page_answer(client, case.method, url)
        if found := _foreign_verdict(world, extra, case, response, api=False):
            wrong[who] = found
    assert not wrong, f"{name}: {wrong}"


@pytest.mark.xdist_group("matrix-foreign-api")
@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(API))
def test_another_organization_sees_nothing_of_this_one_through_the_api(
    operation: str, matrix: tuple[World, dict[str, Any]]
) -> None:
    case = API[operation]
    world, extra = matrix
    method, path = _api_path(operation, world, extra)
    wrong = {}
    for who in FOREIGN:
        body = json.dumps(case.body(world, who)) if case.body else "{}"
        response = _api_answer(method, path, body, extra["foreign_tokens"][who])
        if found := _foreign_verdict(world, extra, case, response, api=True):
            wrong[who] = found
    assert not wrong, f"{operation}: {wrong}"
