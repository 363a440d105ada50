"""Health probes, sign-in and sign-out, two-factor, and the error pages."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock, policy
from pillars.core.declare import audit_exempt


@audit_exempt("liveness probe: no data")
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@audit_exempt("readiness probe: reports only whether the database answers and is migrated")
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if pending:
        return JsonResponse({"status": "unavailable", "database": "migrations pending"}, status=503)
    return JsonResponse({"status": "ok"})


class SignInForm(AuthenticationForm):
    """The standard form, with a plain-language message for a wrong password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That sign-in name and password do not match. Check them and try again.",
        "inactive": "This account is not active. Ask your administrator.",
    }


@audit_exempt("sign-in form: sign-in attempts are audited by the authentication signals")
class SignInView(LoginView):
    template_name = "core/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return urlsplit(target).path or default
    return default


@audit_exempt("sign-out: audited by the authentication signal")
@require_http_methods(["POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You have signed out on every device.")
    return redirect(settings.LOGIN_URL)


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """The answer axes gives to a locked-out sign-in, on every path (form, admin, API)."""
    from axes.helpers import get_lockout_message  # noqa: F401  (keeps axes' import order)

    until = clock.now() + settings.AXES_COOLOFF_TIME
    text = (
        f"Too many failed sign-ins. This account is locked until "
        f"{until:%H:%M} UTC ({int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} "
        "minutes). Ask your administrator if you need in sooner."
    )
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "about:blank",
                "title": "Locked out",
                "status": 429,
                "detail": text,
                "locked_until": until.isoformat(),
            },
            status=429,
            content_type="application/problem+json",
        )
    return render(request, "core/locked_out.html", {"message": text, "until": until}, status=429)


def _qr_data_uri(device: TOTPDevice, request: HttpRequest) -> str:
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, omitsize=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@audit_exempt("two-factor step: enrolments and failures are audited explicitly")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app at first sign-in (QR code), or verify a code."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    user = request.user
    next_url = _safe_next(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = confirmed or TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "").strip().replace(" ", "")
        if code.isdigit() and len(code) == 6 and device.verify_token(code):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record(
                actor=user,
                action=Action.TWO_FACTOR,
                purpose=Purpose.SECURITY,
                detail={"step": "verified" if confirmed else "enrolled"},
            )
            return redirect(next_url)
        audit.record(
            actor=user,
            action=Action.TWO_FACTOR,
            outcome=Outcome.FAILED,
            purpose=Purpose.SECURITY,
            detail={"step": "wrong code"},
        )
        error = "That code did not match. Enter the 6-digit code your app shows now."
    context = {
        "enrolling": confirmed is None,
        "qr": _qr_data_uri(device, request) if confirmed is None else "",
        "secret": base64.b32encode(device.bin_key).decode() if confirmed is None else "",
        "error": error,
        "next": next_url,
        "redirect_field_name": REDIRECT_FIELD_NAME,
    }
    return render(request, "core/two_factor.html", context, status=400 if error else 200)


@audit_exempt("error page: shows no data")
def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@audit_exempt("error page: shows no data")
def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@audit_exempt("error page: shows no data")
def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


__all__ = ["policy"]


@audit_exempt("home shell: each panel's reads go through audited selectors")
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    from pillars.core.home import panels_for

    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    actor = policy.actor_for(request.user)
    panels = [
        {"panel": panel, "context": panel.context(request, actor)} for panel in panels_for(actor)
    ]
    return render(request, "core/home.html", {"panels": panels})
