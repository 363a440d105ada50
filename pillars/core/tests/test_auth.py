"""Password sign-in, sign-out, lockout on every sign-in path, and their audit events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import views
from pillars.core.declare import declaration_of
from pillars.core.urls import urlpatterns
from pillars.people.testing import PASSWORD

SIGN_IN = "/account/sign-in/"
ADMIN_LOGIN = "/admin/login/"
# A moment in winter, so the unit's zone (America/Chicago) is CST, six hours behind UTC.
WINTER = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


def events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def fail(client: Client, username: str = "t-bht", path: str = SIGN_IN) -> Any:
    return client.post(path, {"username": username, "password": "not-the-password"})


def test_sign_in_page_is_accessible_and_has_no_inline_script(db: Any, client: Client) -> None:
    response = client.get(SIGN_IN)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert "<script>" not in html
    assert "style=" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "img-src 'self' data:" in csp


def test_sign_in_with_the_right_password_signs_in_and_is_audited(
    world: Any, client: Client
) -> None:
    response = client.post(SIGN_IN, {"username": "t-bht", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get("/").status_code == 200
    [event] = events(Action.SIGN_IN)
    assert event.actor == world.user("bht")
    assert event.detail["method"] == "password"
    assert event.outcome == Outcome.SUCCESS


def test_sign_in_follows_a_local_next_and_ignores_another_site(world: Any, client: Client) -> None:
    response = client.post(
        SIGN_IN, {"username": "t-bht", "password": PASSWORD, "next": "/account/tokens/"}
    )
    assert response["Location"] == "/account/tokens/"
    other = Client()
    response = other.post(
        SIGN_IN, {"username": "t-bht", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:home")


def test_wrong_password_shows_a_plain_message_and_is_audited(world: Any, client: Client) -> None:
    response = fail(client)
    assert response.status_code == 200
    assert "That sign-in name and password do not match" in response.content.decode()
    assert client.get("/").status_code == 302  # still signed out
    [event] = events(Action.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.actor_label == "t-bht"
    assert event.outcome == Outcome.FAILED


def test_an_inactive_account_cannot_sign_in(world: Any, client: Client) -> None:
    user = world.user("bht")
    user.is_active = False
    user.save()
    response = client.post(SIGN_IN, {"username": "t-bht", "password": PASSWORD})
    assert response.status_code == 200
    assert not events(Action.SIGN_IN)
    assert events(Action.SIGN_IN_FAILED)


def test_the_form_locks_out_after_the_failure_limit_and_says_until_when(
    world: Any, client: Client
) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(WINTER, tick=False):
        for _ in range(limit - 1):
            assert fail(client).status_code == 200
        response = fail(client)
    assert response.status_code == 429
    html = response.content.decode()
    # 15:00 UTC + 15 minutes = 09:15 in Chicago (CST).
    assert "locked until" in html
    assert "9:15 AM CST" in html
    assert 'datetime="2026-01-15T15:15:00+00:00"' in html
    assert response["Retry-After"] == str(15 * 60)
    [locked] = events(Action.LOCKED_OUT)
    assert locked.actor_label == "t-bht"
    assert locked.outcome == Outcome.DENIED
    assert len(events(Action.SIGN_IN_FAILED)) == limit


def test_a_locked_account_is_refused_even_with_the_right_password(
    world: Any, client: Client
) -> None:
    with time_machine.travel(WINTER, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            fail(client)
        traveller.shift(timedelta(minutes=5))
        response = client.post(SIGN_IN, {"username": "t-bht", "password": PASSWORD})
        assert response.status_code == 429
        assert not events(Action.SIGN_IN)
        assert client.get("/").status_code == 302
        # Another account is not affected: a lockout is of one name from one address.
        other = Client()
        ok = other.post(SIGN_IN, {"username": "t-nurse", "password": PASSWORD})
        assert ok.status_code == 302


def test_the_lockout_ends_after_the_cool_off(world: Any, client: Client) -> None:
    with time_machine.travel(WINTER, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            fail(client)
        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        response = client.post(SIGN_IN, {"username": "t-bht", "password": PASSWORD})
    assert response.status_code == 302
    assert events(Action.SIGN_IN)


def test_the_sign_in_name_is_not_case_sensitive_for_the_lockout(world: Any, client: Client) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, "T-BHT" if n % 2 else "t-bht")
    assert client.post(SIGN_IN, {"username": "t-bht", "password": PASSWORD}).status_code == 429


def test_admin_login_is_locked_out_too(world: Any, client: Client) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert fail(client, "t-admin", ADMIN_LOGIN).status_code == 200
    response = fail(client, "t-admin", ADMIN_LOGIN)
    assert response.status_code == 429
    assert "locked until" in response.content.decode()
    # The admin path and the sign-in form share one count: the form is locked as well.
    assert client.post(SIGN_IN, {"username": "t-admin", "password": PASSWORD}).status_code == 429
    # Each attempt during the lockout is refused and audited again.
    first, second = events(Action.LOCKED_OUT)
    assert first.detail["path"] == ADMIN_LOGIN
    assert first.actor_label == "t-admin"
    assert second.detail["path"] == SIGN_IN


def test_locked_out_takes_the_arguments_axes_passes(world: Any) -> None:
    """axes calls AXES_LOCKOUT_CALLABLE(request, original_response, credentials)."""
    with time_machine.travel(WINTER, tick=False):
        AccessAttempt.objects.create(
            username="t-bht",
            ip_address="127.0.0.1",
            user_agent="",
            http_accept="",
            path_info=SIGN_IN,
            get_data="",
            post_data="",
            failures_since_start=5,
        )
    request = RequestFactory().post(SIGN_IN)
    request.session = {}  # type: ignore[assignment]
    with time_machine.travel(WINTER + timedelta(minutes=3), tick=False):
        response = views.locked_out(request, None, {"username": "T-BHT"})
        api = views.locked_out(RequestFactory().post("/api/token"), None, {"username": "t-bht"})
    assert response.status_code == 429
    # Until = the latest counted failure + cool-off, not "now" + cool-off.
    assert "9:15 AM CST" in response.content.decode()
    assert api.status_code == 429
    assert api["Content-Type"] == "application/problem+json"
    body = json.loads(api.content)
    assert body["locked_until"] == "2026-01-15T15:15:00+00:00"
    assert body["status"] == 429


def test_sign_out_is_post_only_ends_the_session_and_is_audited(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert client.get("/account/sign-out/").status_code == 405
    response = client.post("/account/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert response["Clear-Site-Data"] == '"cache"'  # not "storage": the board's queue stays
    assert client.get("/").status_code == 302
    [event] = events(Action.SIGN_OUT)
    assert event.actor == world.user("nurse")


def test_every_core_view_declares_its_audit(db: Any) -> None:
    for pattern in urlpatterns:
        declaration = declaration_of(pattern.callback)
        assert declaration is not None, pattern.name
        assert declaration[0] in ("audited", "exempt")
        assert declaration[1].strip()


@pytest.mark.parametrize("path", ["/account/tokens/", "/account/pin/", "/account/tablet/register/"])
def test_account_pages_need_a_signed_in_user(db: Any, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login") + "?next=")
