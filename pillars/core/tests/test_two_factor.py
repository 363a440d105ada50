"""Two-step sign-in (TOTP) for the roles that need it: enrolment, verification, the gate."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.people.models import Role
from pillars.people.testing import PASSWORD

SIGN_IN = "/account/sign-in/"
TWO_FACTOR = "/account/two-factor/"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now (or some 30-second steps from now)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset_steps)
    return f"{value:06d}"


def password_sign_in(username: str) -> Client:
    client = Client()
    response = client.post(SIGN_IN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def two_factor_events(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.TWO_FACTOR, **filters).order_by("seq"))


@pytest.mark.parametrize("role", ["director", "privacy", "admin"])
def test_a_privileged_role_is_sent_to_enrol_with_a_qr_code(world: Any, role: str) -> None:
    client = password_sign_in(f"t-{role}")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Set up two-step sign-in" in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'alt="QR code' in html
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    # The QR code carries the otpauth URL of the user's pending device.
    device = TOTPDevice.objects.get(user=world.user(role))
    assert not device.confirmed
    start = html.index("data:image/svg+xml;base64,") + len("data:image/svg+xml;base64,")
    svg = base64.b64decode(html[start : html.index('"', start)]).decode()
    assert svg.startswith("<svg")
    # The manual key is shown too, for apps that cannot scan.
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert key[:4] + " " + key[4:8] in html


@pytest.mark.parametrize("path", ["/", "/account/tokens/", "/account/pin/", "/admin/"])
def test_nothing_else_is_reachable_before_the_second_step(world: Any, path: str) -> None:
    client = password_sign_in("t-director")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR + "?next=")


def test_htmx_and_api_requests_get_nothing_before_the_second_step(world: Any) -> None:
    client = password_sign_in("t-privacy")
    response = client.get(
        "/account/tokens/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{TWO_FACTOR}?next=%2F"
    # The API ignores the session cookie: without a bearer token it answers 401, never data.
    api = client.get("/api/v1/me")
    assert api.status_code == 401


def test_a_wrong_code_is_refused_with_a_message_and_audited(world: Any) -> None:
    client = password_sign_in("t-admin")
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=world.user("admin"))
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(TWO_FACTOR, {"code": wrong, "next": "/"})
    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    [event] = two_factor_events()
    assert event.outcome == Outcome.FAILED
    assert event.actor == world.user("admin")
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    assert not device.confirmed


def test_a_malformed_code_is_refused_and_audited(world: Any) -> None:
    client = password_sign_in("t-admin")
    response = client.post(TWO_FACTOR, {"code": "12ab56"})
    assert response.status_code == 200
    assert "The code is 6 digits" in response.content.decode()
    [event] = two_factor_events()
    assert event.outcome == Outcome.FAILED
    assert event.detail["step"] == "malformed code"


def test_the_right_code_confirms_enrolment_and_lets_them_in(world: Any) -> None:
    with time_machine.travel(T0, tick=False):
        client = password_sign_in("t-director")
        client.get(TWO_FACTOR)
        device = TOTPDevice.objects.get(user=world.user("director"))
        response = client.post(TWO_FACTOR, {"code": code_for(device), "next": "/account/tokens/"})
        assert response.status_code == 302
        assert response["Location"] == "/account/tokens/"
        assert client.get("/account/tokens/").status_code == 200
        assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    [event] = two_factor_events()
    assert event.outcome == Outcome.SUCCESS
    assert event.detail["step"] == "enrolled"


def test_codes_with_spaces_are_accepted(world: Any) -> None:
    with time_machine.travel(T0, tick=False):
        client = password_sign_in("t-director")
        client.get(TWO_FACTOR)
        device = TOTPDevice.objects.get(user=world.user("director"))
        code = code_for(device)
        response = client.post(TWO_FACTOR, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_a_later_sign_in_verifies_without_showing_the_key_again(world: Any) -> None:
    user = world.user("privacy")
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    with time_machine.travel(T0, tick=False):
        client = password_sign_in("t-privacy")
        page = client.get(TWO_FACTOR)
        html = page.content.decode()
        assert "Enter the 6-digit code" in html
        assert "data:image" not in html
        response = client.post(TWO_FACTOR, {"code": code_for(device)})
        assert response.status_code == 302
        # The same code cannot be used twice (another browser replaying it).
        replay = password_sign_in("t-privacy")
        refused = replay.post(TWO_FACTOR, {"code": code_for(device)})
        assert refused.status_code == 200
    assert [e.detail["step"] for e in two_factor_events()] == ["verified", "wrong code"]
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_wrong_codes_are_throttled(world: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        client = password_sign_in("t-admin")
        client.get(TWO_FACTOR)
        device = TOTPDevice.objects.get(user=world.user("admin"))
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        client.post(TWO_FACTOR, {"code": wrong})
        client.post(TWO_FACTOR, {"code": wrong})
        # Right code, but too soon after two failures.
        response = client.post(TWO_FACTOR, {"code": code_for(device)})
        assert response.status_code == 200
        assert "Too many wrong codes" in response.content.decode()
        assert two_factor_events()[-1].detail["step"] == "throttled"
        traveller.shift(timedelta(seconds=10))
        response = client.post(TWO_FACTOR, {"code": code_for(device)})
    assert response.status_code == 302


def test_roles_are_data_the_role_flag_decides(world: Any) -> None:
    Role.objects.filter(code="bht").update(requires_two_factor=True)
    Role.objects.filter(code="director").update(requires_two_factor=False)
    bht = password_sign_in("t-bht")
    assert bht.get("/")["Location"].startswith(TWO_FACTOR)
    director = password_sign_in("t-director")
    assert director.get("/").status_code == 200


def test_django_admin_accounts_need_the_second_step_whatever_their_roles(world: Any) -> None:
    user = world.user("nurse")
    user.is_staff = True
    user.save()
    client = password_sign_in("t-nurse")
    assert client.get("/").status_code == 302


def test_sign_out_is_open_before_the_second_step(world: Any) -> None:
    client = password_sign_in("t-director")
    response = client.post("/account/sign-out/")
    assert response.status_code == 302
    response = client.get(TWO_FACTOR)
    assert response.status_code == 302
    assert response["Location"] == SIGN_IN
