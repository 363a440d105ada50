"""The person's own page: issuing access (link and code shown once, only hashes kept), opening
it with the code, the lock after wrong codes, expiry and revocation (one refusal for all),
what the page shows (never another program's Part 2 record), the person's own writes, the
audit events, and that staff cannot act as the person."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import client_for
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.people.testing import World
from pillars.recovery.models.capital import Assessment
from pillars.recovery.models.directory import HsdsOrganization, HsdsService, SavedResource
from pillars.recovery.models.encounters import VirtualSession
from pillars.recovery.models.plans import Goal, GoalProgress, GoalStep, WellnessPlanVersion
from pillars.recovery.models.portal import PersonAccess, PortalAddressFailure
from pillars.recovery.services import portal as services

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

PLAN = {"toolbox": [{"text": "Walk by the river"}], "crisis": [{"text": "Call my sister"}]}
SECRET_WORDS = "Detox intake at the other program"


def _records(world: World) -> dict[str, Any]:
    now = clock.now()
    peer = world.staff["peer"]
    plan = WellnessPlanVersion.objects.create(
        person=world.person_a,
        number=1,
        status="signed",
        content=PLAN,
        review_on=(now + timedelta(days=30)).date(),
        drafted_by=peer,
        drafted_at=now,
        updated_at=now,
        person_signature="tablet",
        person_signed_name="Alex Rivera",
        person_signed_at=now,
        signed_by=peer,
        signed_at=now,
    )
    goal = Goal.objects.create(
        person=world.person_a,
        domain="work",
        statement="Get back to part-time work",
        created_by=peer,
        created_at=now - timedelta(days=3),
    )
    GoalStep.objects.create(goal=goal, text="Update my resume", created_by=peer, created_at=now)
    # A Part 2 goal made in another program: never on this page.
    hidden = Goal.objects.create(
        person=world.person_a,
        domain="health",
        statement=SECRET_WORDS,
        created_by=peer,
        created_at=now,
        made_in_unit=world.unit_b,
        is_part2=True,
    )
    video = VirtualSession.objects.create(
        person=world.person_a,
        peer=peer,
        scheduled_at=now + timedelta(hours=5),
        minutes_planned=30,
        join_url="https://video.example.org/room/portal-test",
        created_by=peer,
        created_at=now,
    )
    org = HsdsOrganization.objects.create(name="Riverside Housing Help")
    open_service = HsdsService.objects.create(
        organization=org, name="Housing navigation drop-in", status="active"
    )
    shelter = HsdsService.objects.create(
        organization=org,
        name="Safe shelter line",
        status="active",
        url="https://shelter.example.org/where",
        x_confidential=True,
    )
    saved = SavedResource.objects.create(
        person=world.person_a, service=open_service, saved_by=peer, saved_at=now, note="Tuesdays"
    )
    SavedResource.objects.create(
        person=world.person_a, service=shelter, saved_by=peer, saved_at=now
    )
    return {"plan": plan, "goal": goal, "hidden": hidden, "video": video, "saved": saved}


def _issue(world: World) -> services.Issued:
    return services.issue_access(world.person_a, actor=world.user("peer"))


def _open(issued: services.Issued, code: str | None = None) -> tuple[Client, Any]:
    client = Client()
    response = client.post(
        reverse("recovery:portal-open", args=[issued.token]),
        {"code": issued.code if code is None else code},
    )
    return client, response


def test_issue_shows_link_and_code_once_and_keeps_only_hashes(world: World) -> None:
    peer = client_for(world, "peer")
    response = peer.post(reverse("recovery:portal-access-issue", args=[world.person_a.public_id]))
    assert response.status_code == 200
    access = PersonAccess.objects.get(person=world.person_a)
    code = response.context["issued"].code
    token = response.context["issued"].token
    body = response.content.decode()
    assert code in body
    assert token in body
    assert access.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert code not in access.code_hash
    assert token not in access.code_hash
    assert access.issued_in == world.unit_a
    assert access.expires_at - access.issued_at == timedelta(days=14)
    listing = peer.get(reverse("recovery:portal-access-list", args=[world.person_a.public_id]))
    assert listing.status_code == 200
    assert code not in listing.content.decode()
    assert token not in listing.content.decode()
    event = AuditEvent.objects.filter(object_id=str(access.public_id), action="create").get()
    assert event.person_id == world.person_a.public_id


def test_a_nurse_may_not_issue_and_an_outsider_does_not_see_the_person(world: World) -> None:
    url = reverse("recovery:portal-access-issue", args=[world.person_a.public_id])
    assert client_for(world, "nurse").post(url).status_code == 403
    assert client_for(world, "outsider").post(url).status_code == 404
    assert not PersonAccess.objects.exists()


def test_the_right_code_opens_the_page_with_plan_goals_sessions(world: World) -> None:
    records = _records(world)
    issued = _issue(world)
    client, response = _open(issued, issued.code.lower())
    assert response.status_code == 302
    page = client.get(reverse("recovery:portal-home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Walk by the river" in text
    assert "Get back to part-time work" in text
    assert "Update my resume" in text
    assert "https://video.example.org/room/portal-test" in text
    assert "Housing navigation drop-in" in text
    assert "Tuesdays" in text
    assert "Safe shelter line" in text
    assert "shelter.example.org" not in text
    assert SECRET_WORDS not in text
    assert str(records["hidden"].public_id) not in text
    assert "<script" not in text
    assert "style=" not in text
    view = AuditEvent.objects.filter(action="view", actor_label__startswith="person access").last()
    assert view is not None
    assert view.actor_label == f"person access {issued.access.public_id}"
    assert view.person_id == world.person_a.public_id
    # The hidden goal cannot be written to either.
    url = reverse("recovery:portal-progress", args=[records["hidden"].public_id])
    assert client.get(url).status_code == 404


def test_five_wrong_codes_lock_even_the_right_code(world: World) -> None:
    issued = _issue(world)
    for _ in range(5):
        _, response = _open(issued, "WRONGCOD")
        assert response.status_code == 400
        assert services.REFUSAL in response.content.decode()
    access = PersonAccess.objects.get(pk=issued.access.pk)
    assert access.locked_until is not None
    _, response = _open(issued)
    assert response.status_code == 400
    reasons = AuditEvent.objects.filter(action="sign_in_failed").values_list(
        "detail__reason", flat=True
    )
    assert list(reasons).count("wrong_code") == 5
    assert list(reasons)[-1] == "locked"
    with time_machine.travel(clock.now() + timedelta(minutes=16), tick=False):
        _, response = _open(issued)
    assert response.status_code == 302


def test_many_wrong_codes_from_one_address_are_refused_across_links(world: World) -> None:
    links = [_issue(world) for _ in range(5)]
    for issued in links:
        for _ in range(4):
            _open(issued, "WRONGCOD")
    _, response = _open(links[0])
    assert response.status_code == 400
    last = AuditEvent.objects.filter(action="sign_in_failed").last()
    assert last is not None
    assert last.detail["reason"] == "address_locked"


def test_the_address_count_is_in_the_database_and_its_window_ends(world: World) -> None:
    """Every process reads the same count (no per-process cache): rows in the window count,
    a locked address adds none, and the sweep deletes the rows past the window."""
    issued = _issue(world)
    now = clock.now()
    PortalAddressFailure.objects.bulk_create(
        [
            PortalAddressFailure(address="127.0.0.1", at=now)
            for _ in range(services.ADDRESS_FAILURES)
        ]
    )
    assert services.address_refusals("127.0.0.1", now) == services.ADDRESS_FAILURES
    _, refused = _open(issued)
    assert refused.status_code == 400
    assert PortalAddressFailure.objects.count() == services.ADDRESS_FAILURES
    later = now + services.LOCK_FOR + timedelta(seconds=1)
    assert services.address_refusals("127.0.0.1", later) == 0
    with time_machine.travel(later, tick=False):
        _, opened = _open(issued)
    assert opened.status_code == 302
    assert services.prune_address_refusals(later).claimed == services.ADDRESS_FAILURES
    assert not PortalAddressFailure.objects.exists()

    from pillars.recovery.sweeps import SWEEPS

    assert services.prune_address_refusals in SWEEPS


def test_each_page_view_keeps_last_used_at_at_most_once_a_minute(world: World) -> None:
    issued = _issue(world)
    client, _ = _open(issued)
    opened = PersonAccess.objects.get(pk=issued.access.pk).last_used_at
    assert opened is not None
    with time_machine.travel(opened + timedelta(seconds=30), tick=False):
        assert client.get(reverse("recovery:portal-home")).status_code == 200
    assert PersonAccess.objects.get(pk=issued.access.pk).last_used_at == opened
    with time_machine.travel(opened + timedelta(minutes=2), tick=False):
        assert client.get(reverse("recovery:portal-home")).status_code == 200
    assert PersonAccess.objects.get(pk=issued.access.pk).last_used_at == opened + timedelta(
        minutes=2
    )


def test_expired_revoked_and_unknown_get_the_same_refusal(world: World) -> None:
    issued = _issue(world)
    _, unknown = _open(services.Issued(issued.access, "not-a-token", issued.code))
    PersonAccess.objects.filter(pk=issued.access.pk).update(expires_at=clock.now())
    _, expired = _open(issued)
    other = _issue(world)
    services.revoke_access(other.access, actor=world.user("peer"))
    _, revoked = _open(other)
    texts = {CSRF.sub("", r.content.decode()) for r in (unknown, expired, revoked)}
    assert all(r.status_code == 400 for r in (unknown, expired, revoked))
    assert len(texts) == 1
    assert services.REFUSAL in texts.pop()
    reasons = set(
        AuditEvent.objects.filter(action="sign_in_failed").values_list("detail__reason", flat=True)
    )
    assert {"unknown", "expired", "revoked"} <= reasons


def test_revocation_ends_an_open_session_at_the_next_request(world: World) -> None:
    issued = _issue(world)
    client, _ = _open(issued)
    assert client.get(reverse("recovery:portal-home")).status_code == 200
    client_for(world, "peer").post(
        reverse("recovery:portal-access-revoke", args=[issued.access.public_id])
    )
    assert PersonAccess.objects.get(pk=issued.access.pk).revoked_at is not None
    assert client.get(reverse("recovery:portal-home")).status_code == 404


def test_progress_and_barc_are_recorded_by_the_person_and_audited(world: World) -> None:
    records = _records(world)
    issued = _issue(world)
    client, _ = _open(issued)
    url = reverse("recovery:portal-progress", args=[records["goal"].public_id])
    response = client.post(url, {"note": "I sent two applications", "attainment": "2"})
    assert response.status_code == 302
    progress = GoalProgress.objects.get(goal=records["goal"])
    assert progress.by_person is True
    assert progress.recorded_by is None
    event = AuditEvent.objects.filter(object_id=str(progress.public_id)).get()
    assert event.actor_id is None
    assert event.actor_label == issued.access.actor_label
    answers = {f"item_{n}": "5" for n in range(1, 11)}
    response = client.post(reverse("recovery:portal-barc"), {**answers, "note": ""})
    assert response.status_code == 302
    assessment = Assessment.objects.get(person=world.person_a)
    assert assessment.is_self_administered is True
    assert assessment.recorded_by is None
    assert assessment.total == 50
    event = AuditEvent.objects.filter(object_id=str(assessment.public_id)).get()
    assert event.actor_label == issued.access.actor_label
    trend = client.get(reverse("recovery:portal-barc"))
    assert trend.status_code == 200
    assert "50" in trend.content.decode()


def test_bad_progress_is_refused_with_nothing_stored(world: World) -> None:
    records = _records(world)
    client, _ = _open(_issue(world))
    url = reverse("recovery:portal-progress", args=[records["goal"].public_id])
    response = client.post(url, {"note": "   "})
    assert response.status_code in (200, 400)
    assert not GoalProgress.objects.exists()


def test_staff_cannot_use_person_routes_as_the_person(world: World) -> None:
    records = _records(world)
    _issue(world)
    peer = client_for(world, "peer")
    assert peer.get(reverse("recovery:portal-home")).status_code == 404
    url = reverse("recovery:portal-progress", args=[records["goal"].public_id])
    assert peer.post(url, {"note": "Written by staff"}).status_code == 404
    assert peer.get(reverse("recovery:portal-barc")).status_code == 404
    assert not GoalProgress.objects.exists()
    # A forged cookie is refused too.
    peer.cookies["pillars_person"] = "forged"
    assert peer.get(reverse("recovery:portal-home")).status_code == 404


def test_leaving_ends_the_session_on_this_phone(world: World) -> None:
    client, _ = _open(_issue(world))
    assert client.post(reverse("recovery:portal-leave")).status_code == 200
    assert client.get(reverse("recovery:portal-home")).status_code == 404


def test_an_open_session_ends_at_expiry(world: World) -> None:
    issued = _issue(world)
    client, _ = _open(issued)
    with time_machine.travel(issued.access.expires_at + timedelta(seconds=1), tick=False):
        assert client.get(reverse("recovery:portal-home")).status_code == 404


def test_a_link_not_opened_within_72_hours_is_refused(world: World) -> None:
    issued = _issue(world)
    with time_machine.travel(issued.access.open_by + timedelta(minutes=1), tick=False):
        _, response = _open(issued)
    assert response.status_code == 400
