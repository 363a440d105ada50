"""API sign-in: the token exchange (with axes lockout and two-factor), bearer tokens, scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock, tokens
from pillars.core.models import ApiToken
from pillars.core.tests.api_support import ApiClient, api_as, assert_problem
from pillars.people.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def _exchange(body: dict[str, Any]) -> Any:
    return ApiClient().post("/auth/token", body)


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


# --- The exchange ------------------------------------------------------------------------------


def test_exchange_gives_a_scoped_expiring_token(world: World) -> None:
    response = _exchange({"username": "t-nurse", "password": PASSWORD, "days": 7})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith(ApiToken.PREFIX)
    assert body["scopes"] == ["read", "write"]
    token = ApiToken.objects.get(public_id=body["public_id"])
    assert token.user == world.user("nurse")
    # Stored hashed only: the secret is nowhere in the database row.
    assert token.token_hash == ApiToken.hash_secret(body["token"])
    assert body["token"] not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert AuditEvent.objects.filter(action=Action.TOKEN, object_id=str(token.public_id)).exists()
    me = ApiClient(body["token"]).get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == "t-nurse"


def test_exchange_read_only_scope(world: World) -> None:
    response = _exchange({"username": "t-nurse", "password": PASSWORD, "scopes": ["read"]})
    assert response.status_code == 201
    assert response.json()["scopes"] == ["read"]


@pytest.mark.parametrize("days", [0, 91, -1])
def test_exchange_refuses_lifetimes_beyond_ninety_days(world: World, days: int) -> None:
    body = assert_problem(
        _exchange({"username": "t-nurse", "password": PASSWORD, "days": days}), 422
    )
    assert "days" in body["errors"]
    assert not ApiToken.objects.exists()


def test_exchange_refuses_unknown_scope(world: World) -> None:
    response = _exchange({"username": "t-nurse", "password": PASSWORD, "scopes": ["admin"]})
    assert "scopes.0" in assert_problem(response, 422)["errors"]  # the bad item, by index


def test_wrong_password_is_401_problem_and_audited(world: World) -> None:
    body = assert_problem(_exchange({"username": "t-nurse", "password": "wrong"}), 401)
    assert "do not match" in body["detail"]
    assert AuditEvent.objects.filter(
        action=Action.SIGN_IN_FAILED, actor_label="t-nurse", outcome=Outcome.FAILED
    ).exists()
    assert not ApiToken.objects.exists()


def test_unknown_user_gets_the_same_answer(world: World) -> None:
    wrong_password = _exchange({"username": "t-nurse", "password": "wrong"}).json()
    no_such_user = _exchange({"username": "nobody-here", "password": "wrong"}).json()
    assert wrong_password["detail"] == no_such_user["detail"]


def test_axes_locks_the_name_out_on_the_api_path(world: World) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert_problem(_exchange({"username": "t-nurse", "password": "wrong"}), 401)
    locked = assert_problem(_exchange({"username": "t-nurse", "password": "wrong"}), 429)
    assert locked["locked_until"]
    assert "locked until" in locked["detail"]
    # Even the right password is refused while locked out, and no token is made.
    again = assert_problem(_exchange({"username": "t-nurse", "password": PASSWORD}), 429)
    assert again["locked_until"]
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, actor_label="t-nurse").exists()
    # Another name is not affected (a lockout is of one name from one address).
    assert _exchange({"username": "t-bht", "password": PASSWORD}).status_code == 201


def test_lockout_expires_after_the_cooloff(world: World, time_machine: Any) -> None:
    time_machine.move_to(clock.now(), tick=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _exchange({"username": "t-nurse", "password": "wrong"})
    assert _exchange({"username": "t-nurse", "password": PASSWORD}).status_code == 429
    time_machine.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    assert _exchange({"username": "t-nurse", "password": PASSWORD}).status_code == 201


def test_success_resets_the_failure_count(world: World) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        _exchange({"username": "t-nurse", "password": "wrong"})
    assert _exchange({"username": "t-nurse", "password": PASSWORD}).status_code == 201
    for _ in range(limit - 1):
        assert _exchange({"username": "t-nurse", "password": "wrong"}).status_code == 401


def test_inactive_account_cannot_exchange(world: World) -> None:
    user = world.user("nurse")
    user.is_active = False
    user.save()
    assert_problem(_exchange({"username": "t-nurse", "password": PASSWORD}), 401)


# --- Two-factor roles --------------------------------------------------------------------------


@pytest.fixture
def director_device(world: World) -> TOTPDevice:
    return TOTPDevice.objects.create(user=world.user("director"), name="app", confirmed=True)


def test_two_factor_role_needs_a_code(world: World, director_device: TOTPDevice) -> None:
    body = assert_problem(_exchange({"username": "t-director", "password": PASSWORD}), 401)
    assert "two-factor" in body["detail"]
    assert not ApiToken.objects.exists()


def test_two_factor_role_with_the_right_code(world: World, director_device: TOTPDevice) -> None:
    response = _exchange(
        {"username": "t-director", "password": PASSWORD, "otp": _code(director_device)}
    )
    assert response.status_code == 201, response.content


def test_wrong_code_counts_as_a_failed_sign_in(world: World, director_device: TOTPDevice) -> None:
    body = assert_problem(
        _exchange({"username": "t-director", "password": PASSWORD, "otp": "000000"}), 401
    )
    assert "did not match" in body["detail"]
    assert AuditEvent.objects.filter(
        action=Action.TWO_FACTOR, outcome=Outcome.FAILED, actor=world.user("director")
    ).exists()
    assert AuditEvent.objects.filter(
        action=Action.SIGN_IN_FAILED, actor_label="t-director"
    ).exists()


def test_two_factor_role_without_an_enrolled_app(world: World) -> None:
    body = assert_problem(
        _exchange({"username": "t-director", "password": PASSWORD, "otp": "123456"}), 401
    )
    assert "set up an authenticator app" in body["detail"]


# --- Bearer tokens -----------------------------------------------------------------------------


def test_no_token_is_401_with_a_challenge(world: World) -> None:
    response = ApiClient().get("/me")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_is_not_accepted(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/persons").status_code == 401


@pytest.mark.parametrize("secret", ["plr_not-a-real-token", "garbage", "plr_" + "x" * 300])
def test_unknown_tokens_are_refused(world: World, secret: str) -> None:
    assert_problem(ApiClient(secret).get("/me"), 401)


def test_expired_token_is_refused(world: World, time_machine: Any) -> None:
    client = api_as(world.user("nurse"))
    assert client.get("/me").status_code == 200
    time_machine.move_to(clock.now() + timedelta(days=31))
    assert_problem(client.get("/me"), 401)


def test_revoked_token_is_refused(world: World) -> None:
    token, secret = tokens.create_token(world.user("nurse"), "tablet", ["read"], 30)
    assert ApiClient(secret).get("/me").status_code == 200
    tokens.revoke_token(token, actor=world.user("nurse"))
    assert_problem(ApiClient(secret).get("/me"), 401)


def test_token_of_a_departed_staff_member_is_refused(world: World) -> None:
    client = api_as(world.user("nurse"))
    staff = world.staff["nurse"]
    staff.exited_on = clock.organization_today()
    staff.exit_reason = "relocated"
    staff.save()
    assert_problem(client.get("/me"), 401)


def test_token_use_moves_last_used_at(world: World) -> None:
    token, secret = tokens.create_token(world.user("nurse"), "tablet", ["read"], 30)
    assert token.last_used_at is None
    ApiClient(secret).get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_read_only_token_cannot_write(world: World) -> None:
    reader = api_as(world.user("nurse"), scopes=["read"])
    assert reader.get("/persons").status_code == 200
    response = reader.post(
        "/persons",
        {
            "record_number": "MRN-RO",
            "legal_given_name": "Sam",
            "legal_family_name": "Reader",
            "date_of_birth": "1990-01-01",
        },
    )
    assert_problem(response, 403)
    person = world.person_a
    assert person is not None
    assert_problem(reader.patch(f"/persons/{person.public_id}", {"pronouns": "they"}), 403)


def test_me_names_roles_units_and_token(world: World) -> None:
    body = api_as(world.user("nurse"), scopes=["read"]).get("/me").json()
    assert body["roles"] == ["nurse"]
    assert body["units"] == [
        {"public_id": str(world.unit_a.public_id), "name": world.unit_a.name, "code": "a"}
    ]
    assert body["staff_id"] == str(world.staff["nurse"].public_id)
    assert body["token_scopes"] == ["read"]
    assert "id" not in body
