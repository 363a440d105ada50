"""Sign-in, sign-out and lockout events go to the audit log; a full sign-in on a trusted tablet
is remembered there."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock, devices, policy
from pillars.core.middleware import AUTH_KEY, SEEN_KEY, needs_second_step
from pillars.core.sessions import DEVICE_SESSION_KEY, revoke_everywhere


@receiver(user_logged_in)
def on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = clock.now().timestamp()
        request.session[AUTH_KEY] = now
        request.session[SEEN_KEY] = now
    # The account's roles may have changed since a previous request cached them.
    policy.forget(user)
    method = devices.sign_in_method(user)
    device = devices.device_for_request(request)
    second_step = needs_second_step(user)
    detail: dict[str, Any] = {"method": method}
    if device is not None:
        detail["device"] = str(device.public_id)
        if request is not None and hasattr(request, "session"):
            request.session[DEVICE_SESSION_KEY] = str(device.public_id)
    if second_step:
        detail["second_step"] = "required"
    audit.record(actor=user, action=Action.SIGN_IN, purpose=Purpose.SECURITY, detail=detail)
    # A password sign-in is a full sign-in unless a second step is still owed (then the
    # two-factor view records it once the code is right). A badge-and-PIN switch never is.
    if device is not None and method == "password" and not second_step:
        devices.full_sign_in(request, user, device)


# How a failed badge sign-in names the badge in its event's actor label (the audit report reads
# it back to tell whose badge it was: ``people.tenancy.restrict_events``).
BADGE_LABEL = "badge "


@receiver(user_login_failed)
def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    if credentials.get("badge"):
        label = BADGE_LABEL + str(credentials["badge"]).strip()
    else:
        label = str(credentials.get("username") or "")
    audit.record(
        actor=None,
        actor_label=label[:150],
        action=Action.SIGN_IN_FAILED,
        outcome=Outcome.FAILED,
        purpose=Purpose.SECURITY,
        detail={"method": "badge_pin" if credentials.get("badge") else "password"},
    )


@receiver(user_logged_out)
def on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    # Signing out ends every session this user has, on every device, and their API tokens.
    revoke_everywhere(user, reason="signed out", actor=user)
    audit.record(actor=user, action=Action.SIGN_OUT, purpose=Purpose.SECURITY)


@receiver(user_locked_out)
def on_locked_out(
    sender: Any,
    request: Any,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    audit.record(
        actor=None,
        actor_label=str(username or "")[:150],
        action=Action.LOCKED_OUT,
        outcome=Outcome.DENIED,
        purpose=Purpose.SECURITY,
        detail={"path": getattr(request, "path", "")[:200]},
    )
    # Someone is guessing this account's password: whatever they may already hold of it
    # (sessions, API tokens) stops working too, once, when the lockout begins. An attempt
    # refused during the lockout is not counted (axes sets no failure count for it) and must
    # not sign the owner out again: otherwise anyone could keep a colleague signed out by
    # retrying.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first() if username else None
    if account is not None:
        revoke_everywhere(account, reason="locked out")
