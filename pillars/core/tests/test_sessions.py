"""Sessions end on the server: idle limit, absolute limit, sign-out, deactivation, role change."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client, override_settings

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.people.choices import ExitReason
from pillars.people.services import exit_staff, set_roles

T0 = datetime(2026, 4, 6, 13, 0, tzinfo=UTC)
IDLE = timedelta(seconds=settings.SESSION_IDLE_SECONDS)
POLL = {"X-Pillars-Poll": "1"}


def ended(reason: str) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(action=Action.SESSION_ENDED).order_by("seq")
        if e.detail.get("reason") == reason
    ]


def test_the_default_idle_limit_is_15_minutes_and_the_absolute_limit_12_hours() -> None:
    assert settings.SESSION_IDLE_SECONDS == 15 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_the_idle_limit_comes_from_the_environment() -> None:
    env = {**os.environ, "PILLARS_SESSION_IDLE_MINUTES": "5", "PILLARS_ENV": "test"}
    out = subprocess.run(
        [sys.executable, "-c", "import pillars.settings as s; print(s.SESSION_IDLE_SECONDS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "300"


def test_a_session_ends_after_the_idle_limit(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("bht")
        traveller.shift(IDLE - timedelta(seconds=1))
        assert client.get("/").status_code == 200
        traveller.shift(IDLE - timedelta(seconds=1))
        assert client.get("/").status_code == 200  # activity moved the idle window
        traveller.shift(IDLE)
        response = client.get("/account/tokens/")
        assert response.status_code == 302
        assert response["Location"] == "/account/sign-in/?next=%2Faccount%2Ftokens%2F&ended=idle"
        assert response["Clear-Site-Data"] == '"cache"'  # the browser drops what it cached
        # Ended on the server: the same cookie does not work a moment later either.
        traveller.shift(timedelta(seconds=1))
        assert client.get("/").status_code == 302
    [event] = ended("idle")
    assert event.actor == world.user("bht")


def test_the_sign_in_page_says_why_the_session_ended(db: Any, client: Client) -> None:
    html = client.get("/account/sign-in/?ended=idle").content.decode()
    assert "signed out after 15 minutes without activity" in html
    assert 'role="status"' in html


@override_settings(SESSION_IDLE_SECONDS=5 * 60)
def test_the_idle_limit_is_configurable(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("bht")
        traveller.shift(timedelta(minutes=5))
        assert client.get("/").status_code == 302


def test_polling_does_not_count_as_activity(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        polled = signed_in("bht")
        clicked = signed_in("nurse")
        traveller.shift(timedelta(minutes=10))
        assert polled.get("/", headers=POLL).status_code == 200
        assert clicked.get("/").status_code == 200
        traveller.shift(IDLE - timedelta(minutes=10))
        # 15 minutes after the last click: the polling screen is signed out, the other is not.
        assert polled.get("/", headers=POLL).status_code == 302
        assert clicked.get("/").status_code == 200


def test_htmx_requests_get_hx_redirect_to_the_page_not_the_fragment(
    world: Any, signed_in: Any
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("bht")
        traveller.shift(IDLE)
        response = client.get(
            "/",
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver/people/?q=riv",
                **POLL,
            },
        )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/account/sign-in/?next=%2Fpeople%2F%3Fq%3Driv&ended=idle"
    assert "Location" not in response


def test_a_session_ends_after_the_absolute_limit_even_when_active(
    world: Any, signed_in: Any
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("nurse")
        elapsed = timedelta(0)
        step = timedelta(minutes=10)
        while elapsed + step < timedelta(hours=12):
            traveller.shift(step)
            elapsed += step
            assert client.get("/").status_code == 200, elapsed
        traveller.shift(timedelta(hours=12) - elapsed)
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].endswith("ended=absolute")
    assert len(ended("absolute")) == 1


def test_an_idle_end_leaves_the_users_other_sessions_alone(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        idle = signed_in("bht")
        traveller.shift(timedelta(minutes=10))
        busy = signed_in("bht")
        traveller.shift(timedelta(minutes=5))
        assert idle.get("/").status_code == 302
        assert busy.get("/").status_code == 200


def test_an_ended_session_still_reaches_the_tablet_switch_page(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("bht")
        traveller.shift(IDLE)
        # No bounce through the sign-in page: the tablet goes straight to badge and PIN.
        response = client.get("/account/tablet/switch/")
    assert response.status_code == 403  # this test browser is not a registered tablet
    assert "not a registered unit tablet" in response.content.decode()
    assert ended("idle")


def test_signing_out_ends_the_users_sessions_everywhere(world: Any, signed_in: Any) -> None:
    desk = signed_in("nurse")
    phone = signed_in("nurse")
    other_user = signed_in("bht")
    assert phone.get("/").status_code == 200
    desk.post("/account/sign-out/")
    assert phone.get("/").status_code == 302
    assert other_user.get("/").status_code == 200


def test_exit_staff_ends_the_leavers_sessions(world: Any, signed_in: Any) -> None:
    client = signed_in("bht")
    assert client.get("/").status_code == 200
    exit_staff(
        world.staff["bht"],
        actor=world.user("admin"),
        exited_on=clock.organization_today(),
        exit_reason=ExitReason.RELOCATED,
    )
    assert client.get("/").status_code == 302


def test_deactivating_the_account_ends_its_sessions(world: Any, signed_in: Any) -> None:
    client = signed_in("peer")
    assert client.get("/").status_code == 200
    user = world.user("peer")
    user.is_active = False
    user.save()
    assert client.get("/").status_code == 302


def test_a_role_change_ends_the_sessions(world: Any, signed_in: Any) -> None:
    client = signed_in("bht")
    bystander = signed_in("nurse")
    set_roles(world.staff["bht"], actor=world.user("admin"), roles=["bht", "peer"])
    assert client.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


def test_typing_without_requests_keeps_the_session_through_still_here(
    world: Any, signed_in: Any
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("peer")
        traveller.shift(IDLE - timedelta(minutes=2))
        assert client.post("/account/still-here/").status_code == 204
        traveller.shift(IDLE - timedelta(minutes=2))
        assert client.get("/").status_code == 200
        traveller.shift(IDLE + timedelta(seconds=1))
        assert client.post("/account/still-here/").status_code == 302


def test_the_page_tells_the_browser_its_idle_limit(world: Any, signed_in: Any) -> None:
    body = signed_in("bht").get("/").content.decode()
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"' in body
    assert 'data-still-here-url="/account/still-here/"' in body


def test_an_ended_session_cookie_does_not_spoil_an_api_call_with_a_token(
    world: Any, signed_in: Any
) -> None:
    from pillars.core.tokens import create_token

    with time_machine.travel(T0, tick=False) as traveller:
        client = signed_in("nurse")
        _, secret = create_token(world.user("nurse"), name="device", scopes=["read"], days=1)
        traveller.shift(IDLE + timedelta(minutes=1))
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200
        assert client.get("/").status_code == 302  # the web session itself has ended


def test_a_view_sees_the_signed_in_user_itself_not_its_lazy_wrappers(
    world: Any, signed_in: Any, client: Client
) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import LazyObject

    from pillars.core.models import User

    response = signed_in("bht").get("/")
    user = response.wsgi_request.user
    assert type(user) is User
    assert user.username == world.user("bht").username
    # django-otp's mark stays on the user the view sees.
    assert user.is_verified() is False  # type: ignore[attr-defined]
    assert not isinstance(client.get("/account/sign-in/").wsgi_request.user, LazyObject)
    assert isinstance(client.get("/account/sign-in/").wsgi_request.user, AnonymousUser)


def test_unwrapped_loads_and_strips_nested_lazy_objects() -> None:
    from django.utils.functional import SimpleLazyObject

    from pillars.core.policy import unwrapped

    loads: list[str] = []

    def inner() -> object:
        loads.append("inner")
        return "the user"

    nested = SimpleLazyObject(lambda: SimpleLazyObject(inner))
    assert unwrapped(nested) == "the user"
    assert type(unwrapped(nested)) is str
    assert loads == ["inner"]
    assert unwrapped("plain") == "plain"


def test_the_session_store_reads_a_live_session_and_never_an_expired_or_unknown_one(
    db: Any,
) -> None:
    """``core.session_store`` (the engine in settings) keeps its read of a session built once;
    the expiry is still Django's: a session past it loads as empty and its key is dropped."""
    from django.utils import timezone

    from pillars.core.session_store import SessionStore

    assert settings.SESSION_ENGINE == "pillars.core.session_store"
    live = SessionStore()
    live["who"] = "nurse"
    live.save()
    other = SessionStore()
    other["who"] = "lead"
    other.set_expiry(60)
    other.save()
    assert SessionStore(live.session_key).load() == {"who": "nurse"}
    assert SessionStore(other.session_key).load()["who"] == "lead"
    expired = SessionStore(other.session_key)
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert expired.load() == {}
    assert expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None
