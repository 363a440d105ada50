"""Sign-in, sign-out and lockout events go to the audit log."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock
from pillars.core.middleware import AUTH_KEY, SEEN_KEY
from pillars.core.sessions import end_all_sessions


@receiver(user_logged_in)
def on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = clock.now().timestamp()
        request.session[AUTH_KEY] = now
        request.session[SEEN_KEY] = now
    method = getattr(user, "backend", "") or ""
    audit.record(
        actor=user,
        action=Action.SIGN_IN,
        purpose=Purpose.SECURITY,
        detail={"method": "badge_pin" if "BadgePin" in method else "password"},
    )


@receiver(user_login_failed)
def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    label = str(credentials.get("username") or credentials.get("badge") or "")[:150]
    audit.record(
        actor=None,
        actor_label=label,
        action=Action.SIGN_IN_FAILED,
        outcome=Outcome.FAILED,
        purpose=Purpose.SECURITY,
    )


@receiver(user_logged_out)
def on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    # Signing out ends every session this user has, on every device.
    end_all_sessions(user)
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
    )
