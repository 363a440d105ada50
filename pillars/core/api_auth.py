"""Who is calling the API: bearer personal access tokens, and the password-for-token exchange.

Only ``Authorization: Bearer <token>`` signs a request in; a browser session cookie is ignored on
the API, so no API write can be forged across sites (CSRF) by a page the user happens to visit.
A token carries scopes ("read", "write"); the policy layer refuses any action whose rule needs a
scope the token lacks (``Actor.token_scopes``).

The exchange goes through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts failed attempts and locks the sign-in name out exactly as on the sign-in page; the lockout
answer (429, problem+json) comes from ``pillars.core.views.locked_out`` through axes' middleware.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import policy, tokens
from pillars.core.backends import axes_username
from pillars.core.middleware import needs_second_step
from pillars.core.models import ApiToken


class TokenAuth(HttpBearer):
    """Bearer-token authentication for every API route but the token exchange and the schema."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate_token(token)
        if found is None:
            return None
        return token_sign_in(request, found)


def token_sign_in(request: HttpRequest, token: ApiToken) -> ApiToken | None:
    """Make the token's user the request's user, limited to the token's scopes."""
    user = token.user
    policy.forget(user)
    setattr(user, policy.API_USER, True)
    actor = policy.actor_for(user)
    if not actor.is_authenticated:  # the staff profile ended, or there is none
        return None
    user._pillars_actor = dataclasses.replace(  # type: ignore[attr-defined]
        actor, token_scopes=frozenset(token.scopes)
    )
    # Whatever session cookie came along, the token decides who this request is.
    request.user = user
    return token


def _refuse(message: str) -> AuthenticationError:
    return AuthenticationError(401, message)


def _otp_failed(request: HttpRequest, username: str, user: Any, reason: str) -> None:
    """A wrong or missing second factor counts as a failed sign-in, so guessing codes locks out."""
    audit.record(
        actor=user,
        action=Action.TWO_FACTOR,
        outcome=Outcome.FAILED,
        purpose=Purpose.SECURITY,
        detail={"step": reason},
    )
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def _second_factor_ok(user: Any, code: str | None) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    # verify_token applies django-otp's own throttle (growing delays after failures).
    return device is not None and bool(device.verify_token(code))


class LockedOut(Exception):
    """Axes refused the attempt; its middleware turns the answer into a 429 lockout."""


def exchange(
    request: HttpRequest,
    *,
    username: str,
    password: str,
    otp: str | None,
    name: str,
    scopes: list[str],
    days: int,
) -> tuple[ApiToken, str]:
    """Sign in with name and password (and a TOTP code when the role needs one); make a token.

    Raises AuthenticationError (401) on any failed check, with one message for a wrong name or
    password so the answer does not tell which accounts exist.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut()
    if user is None:
        raise _refuse("That sign-in name and password do not match.")
    actor = policy.actor_for(user)
    if not actor.is_authenticated:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        raise _refuse("This account has no active staff profile. Ask your administrator.")
    # The pages' rule (roles, and Django admin accounts whatever their roles), not the roles'
    # alone: a token must not skip a second step a page sign-in would ask for.
    if needs_second_step(user):
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise _refuse(
                "Your role needs two-factor sign-in: sign in on the web once to set up an "
                "authenticator app, then send its 6-digit code as otp."
            )
        if not otp:
            raise _refuse("Your role needs two-factor sign-in: send the 6-digit code as otp.")
        if not _second_factor_ok(user, otp):
            _otp_failed(request, username, user, "wrong code")
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise _refuse("That two-factor code did not match. Send the code your app shows now.")
    token, secret = tokens.create_token(user, name, scopes, days)
    # AXES_RESET_ON_SUCCESS: a success clears this name's failure count from this address, as a
    # page sign-in does; failures from other addresses still count.
    axes_reset(
        username=axes_username(request, {"username": username}),
        ip=getattr(request, "axes_ip_address", None),
    )
    return token, secret


__all__ = ["LockedOut", "TokenAuth", "exchange", "token_sign_in"]
