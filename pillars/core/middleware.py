"""Request body limits, no caching of what is answered, request context for the audit log,
session limits, and the two-factor gate."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, context, policy
from pillars.core.policy import unwrapped
from pillars.core.templatetags import record_urls

POLL_HEADER = "HTTP_X_PILLARS_POLL"
SEEN_KEY = "pillars_seen_at"
AUTH_KEY = "pillars_auth_at"
# Writing the session on every click is wasted I/O; a minute's precision is plenty for a
# 15-minute idle limit.
SEEN_RESOLUTION_SECONDS = 60

Handler = Callable[[HttpRequest], HttpResponse]


class BodyLimitMiddleware:
    """Refuse a request whose declared body is over the limit with a 413 naming the limit,
    before anything reads it (Django's own limits answer 400, after buffering part of it)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(settings.PILLARS_MAX_BODY_BYTES)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared <= limit:
            return self.get_response(request)
        megabytes = limit / (1024 * 1024)
        message = f"The request is too large: the limit is {megabytes:g} MB ({limit} bytes)."
        if request.path.startswith("/api/"):
            from pillars.core.api_errors import problem

            return problem(413, message, limit_bytes=limit)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """Nothing Pillars answers is kept by a browser or a proxy: its pages name people served,
    and after a sign-out on a shared workstation the Back button must not bring them back from
    the browser's cache. A response that says how it may be cached itself (the service worker
    script, downloads) keeps its own header; static files never reach this (WhiteNoise answers
    them first)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the audit log and the sign-in lockout: the connection's own,
    or, with ``PILLARS_PROXY_COUNT`` proxies of ours in front, the address the outermost of them
    saw. X-Forwarded-For is read from the right, so whatever a client writes into that header
    itself sits further left and is never taken for its address."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "PILLARS_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


class RequestContextMiddleware:
    """Give every request an id and record where it came from, for the audit log; and mark it
    as one request for its links (``record_urls.answering``)."""

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
        routes = record_urls.answering()
        try:
            response = self.get_response(request)
        finally:
            record_urls.answered(routes)
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


ENDED_PARAM = "ended"
# Pages that still work once a session has just ended: the request goes on, signed out, instead
# of bouncing to the sign-in page (a shared tablet left idle goes straight to badge and PIN).
# The API authenticates by bearer token, not session; probes need nobody.
PASS_THROUGH_WHEN_ENDED = (
    "/account/sign-in/",
    "/account/tablet/switch/",
    "/api/",
    "/healthz",
    "/readyz",
)


def _next_target(request: HttpRequest) -> str:
    """Where to return after signing in again: the page itself, not a fragment it polled."""
    if request.headers.get("HX-Request"):
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.path.startswith("/"):
            return current.path + (f"?{current.query}" if current.query else "")
        return "/"
    return request.get_full_path()


def redirect_to_login(request: HttpRequest, ended: str = "") -> HttpResponse:
    """A redirect to the sign-in page; htmx requests get ``HX-Redirect`` so the whole page goes,
    not just the fragment being swapped."""
    params = {"next": _next_target(request)}
    if ended:
        params[ENDED_PARAM] = ended
    target = reverse(settings.LOGIN_URL) + "?" + urlencode(params)
    return _redirect(request, target)


def _redirect(request: HttpRequest, target: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def forget_site_cache(response: HttpResponse) -> HttpResponse:
    """When a session ends (sign-out, idle or absolute limit): the browser drops whatever it
    cached from this site, beside the "no-store" every page says. Not its storage: the board's
    queue of unsent checks (order ids, no names) must outlive the session."""
    response["Clear-Site-Data"] = '"cache"'
    return response


class SessionLimitsMiddleware:
    """End a session after the idle limit or the absolute limit, on the server.

    Requests a page makes in the background (polling) send ``X-Pillars-Poll: 1`` and do not count
    as activity, so a board left open on an unattended screen still times out. Only this session
    ends; the user's other devices keep theirs.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and hasattr(request, "session") and user.is_authenticated:
            now = clock.now().timestamp()
            seen = request.session.get(SEEN_KEY, now)
            started = request.session.get(AUTH_KEY, now)
            ended = ""
            if now - started >= settings.SESSION_ABSOLUTE_SECONDS:
                ended = "absolute"
            elif now - seen >= settings.SESSION_IDLE_SECONDS:
                ended = "idle"
            if ended:
                audit.record(
                    actor=user,
                    action=Action.SESSION_ENDED,
                    purpose=Purpose.SECURITY,
                    detail={"reason": ended},
                )
                request.session.flush()
                request.user = AnonymousUser()
                if not request.path.startswith(PASS_THROUGH_WHEN_ENDED):
                    return forget_site_cache(redirect_to_login(request, ended))
                return forget_site_cache(self.get_response(request))
            if AUTH_KEY not in request.session:
                request.session[AUTH_KEY] = now
            active = not request.META.get(POLL_HEADER)
            # The seen time moves on a minute's resolution: a session may end up to a minute
            # early, never late.
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


def needs_second_step(user: Any) -> bool:
    """Roles are data (``people.Role.requires_two_factor``); Django admin accounts (staff or
    superuser flags) are privileged whatever their roles, so they need it too."""
    return bool(
        policy.actor_for(user).requires_two_factor
        or getattr(user, "is_staff", False)
        or getattr(user, "is_superuser", False)
    )


class TwoFactorRequiredMiddleware:
    """Roles that require two-factor sign-in reach nothing else until they have verified."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            # The user itself from here on, not the lazy wrappers (``policy.unwrapped``).
            user = request.user = unwrapped(user)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_OPEN_PREFIXES)
            # The API ignores session cookies (a bearer token decides who is calling, and the
            # token exchange asks for the code itself), so an unverified session gets nothing
            # there either.
            and not request.path.startswith("/api/")
            and needs_second_step(user)
            and not user.is_verified()
        ):
            target = reverse("core:two-factor") + "?" + urlencode({"next": _next_target(request)})
            return _redirect(request, target)
        return self.get_response(request)
