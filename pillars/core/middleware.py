"""Request context for the audit log, session limits, and the two-factor gate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, context, policy

POLL_HEADER = "HTTP_X_PILLARS_POLL"
SEEN_KEY = "pillars_seen_at"
AUTH_KEY = "pillars_auth_at"
# Writing the session on every click is wasted I/O; a minute's precision is plenty for a
# 15-minute idle limit.
SEEN_RESOLUTION_SECONDS = 60

Handler = Callable[[HttpRequest], HttpResponse]


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Give every request an id and record where it came from, for the audit log."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        token = context.use(
            context.RequestContext(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
                request_id=request_id,
                channel="api" if request.path.startswith("/api/") else "web",
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


def redirect_to_login(request: HttpRequest, message: str) -> HttpResponse:
    target = reverse(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    messages.info(request, message)
    return HttpResponseRedirect(target)


class SessionLimitsMiddleware:
    """End a session after the idle limit or the absolute limit, on the server.

    Requests a page makes in the background (polling) send ``X-Pillars-Poll: 1`` and do not count
    as activity, so a board left open on an unattended screen still times out.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = clock.now().timestamp()
            seen = request.session.get(SEEN_KEY, now)
            started = request.session.get(AUTH_KEY, now)
            reason = None
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                hours = settings.SESSION_ABSOLUTE_SECONDS // 3600
                reason = f"You were signed out after {hours} hours. Please sign in again."
            elif now - seen > settings.SESSION_IDLE_SECONDS:
                minutes = settings.SESSION_IDLE_SECONDS // 60
                reason = f"You were signed out after {minutes} minutes without activity."
            if reason:
                audit.record(
                    actor=user,
                    action=Action.SESSION_ENDED,
                    purpose=Purpose.SECURITY,
                    detail={"reason": "absolute" if "hours" in reason else "idle"},
                )
                # Only this session ends; the user's other devices keep theirs.
                request.session.flush()
                request.user = AnonymousUser()
                return redirect_to_login(request, reason)
            request.session.setdefault(AUTH_KEY, now)
            active = not request.META.get(POLL_HEADER)
            if SEEN_KEY not in request.session or (
                active and now - seen >= SEEN_RESOLUTION_SECONDS
            ):
                request.session[SEEN_KEY] = now
        return self.get_response(request)


# Paths a signed-in user who still owes a second factor may reach.
TWO_FACTOR_OPEN_PREFIXES = (
    "/account/two-factor/",
    "/account/sign-out/",
    "/static/",
    "/healthz",
    "/readyz",
)


class TwoFactorRequiredMiddleware:
    """Roles that require two-factor sign-in reach nothing else until they have verified."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_OPEN_PREFIXES)
            and not request.path.startswith("/api/")
            and policy.actor_for(user).requires_two_factor
            and not user.is_verified()
        ):
            target = reverse("core:two-factor") + "?" + urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return self.get_response(request)
