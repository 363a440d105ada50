"""Health probes, sign-in and sign-out, the second step, API tokens and the error pages. (Unit
tablets and PINs: ``people.tablet_views``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max, Sum
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, devices, policy, tokens
from pillars.core import two_factor as second_step
from pillars.core.backends import address_failures, address_limit, axes_username
from pillars.core.declare import audit_exempt, audited
from pillars.core.errors import Conflict, ValidationError
from pillars.core.forms import SignInForm, TokenCreateForm, TwoFactorForm
from pillars.core.middleware import ENDED_PARAM, forget_site_cache
from pillars.core.pages import POST, page
from pillars.core.routes import Routes

route = Routes()

MASK = "********"
# A form with errors is shown again with status 200, as Django's own views do: htmx swaps only
# 2xx answers, and browsers log 4xx page loads as errors.


# --- Health probes ---------------------------------------------------------------------------


@audit_exempt("liveness probe: no data")
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


_migrated = False  # once this process has seen every migration applied, they stay applied


def _migrations_pending() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return not _migrated


@audit_exempt("readiness probe: reports only whether the database answers and is migrated")
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        # The database must answer every time; the (costly) migration check only until it holds.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = _migrations_pending()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if pending:
        return JsonResponse({"status": "unavailable", "database": "migrations pending"}, status=503)
    return JsonResponse({"status": "ok"})


# --- Helpers ---------------------------------------------------------------------------------


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """The ``next`` target if it is on this site (path and query only), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    parts = urlsplit(target)
    if not parts.path.startswith("/"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


def mask_secrets(request: HttpRequest, *names: str) -> None:
    """Hide secret form fields from django-axes, which keeps the posted form with every failed
    attempt and masks only the fields it knows as passwords."""
    masked = request.POST.copy()
    for name in names:
        if name in masked:
            masked[name] = MASK
    request.POST = masked  # type: ignore[assignment]


def apply_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _local(moment: datetime) -> datetime:
    return clock.local(moment, settings.PILLARS_DEFAULT_TIME_ZONE)


def _clock_text(moment: datetime) -> str:
    local = _local(moment)
    return f"{local:%I:%M %p}".lstrip("0") + f" {local:%Z}"


# --- Sign-in, sign-out, lockout ------------------------------------------------------------


def ended_message(code: str | None) -> str:
    """The notice for a session the server ended (see ``SessionLimitsMiddleware``)."""
    if code == "idle":
        minutes = settings.SESSION_IDLE_SECONDS // 60
        return f"You were signed out after {minutes} minutes without activity. Sign in again."
    if code == "absolute":
        hours = settings.SESSION_ABSOLUTE_SECONDS // 3600
        return f"You were signed out because sessions last at most {hours} hours. Sign in again."
    return ""


@audit_exempt("sign-in form: sign-in attempts are audited by the authentication signals")
class SignInView(LoginView):
    template_name = "core/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # On a shared tablet the next person signs in over whoever is signed in now; elsewhere a
        # signed-in user is just sent on.
        self.redirect_authenticated_user = devices.device_for_request(request) is None
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        previous = self.request.user if self.request.user.is_authenticated else None
        if previous is not None and previous.pk != form.get_user().pk:
            ended_here(previous, devices.device_for_request(self.request))
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tablet"] = devices.device_for_request(self.request)
        context["ended"] = ended_message(self.request.GET.get(ENDED_PARAM))
        return context


sign_in = route("account/sign-in/", name="login")(SignInView.as_view())


def ended_here(previous: Any, device: Any) -> None:
    """Someone else signed in on this browser: the previous user's session here ends (login()
    flushes it), their sessions elsewhere do not."""
    audit.record(
        actor=previous,
        action=Action.SESSION_ENDED,
        purpose=Purpose.SECURITY,
        detail={
            "reason": "switch_user",
            "device": str(device.public_id) if device is not None else None,
        },
    )


@route("account/sign-out/", name="logout")
@audit_exempt("sign-out: audited by the authentication signal")
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You have signed out on every device.")
    return forget_site_cache(redirect(settings.LOGIN_URL))


def lockout_of(request: HttpRequest, credentials: dict[str, Any] | None) -> tuple[datetime, bool]:
    """When a lockout ends, and whether it is the address's (locked for every name) rather
    than the name's: the latest counted failure of the name from this address plus the cool-off
    time, or for an address lockout its latest failure under any name. Failures during a
    lockout are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so retrying never
    moves this moment."""
    from axes.helpers import get_client_ip_address, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    username = axes_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    since = clock.now() - cool_off
    if username:
        attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
        if address:
            attempts = attempts.filter(ip_address=address)
        counted = attempts.aggregate(
            latest=Max("attempt_time"), failures=Sum("failures_since_start")
        )
        if (counted["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
            return counted["latest"] + cool_off, False
    limit = address_limit()
    if address and limit > 0 and address_failures(address, since=since) >= limit:
        latest = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=since
        ).aggregate(latest=Max("attempt_time"))["latest"]
        return (latest or clock.now()) + cool_off, True
    return clock.now() + cool_off, False


def locked_until(request: HttpRequest, credentials: dict[str, Any] | None) -> datetime:
    """When the lockout this request met ends (see ``lockout_of``)."""
    return lockout_of(request, credentials)[0]


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer axes gives to a locked-out sign-in on every path (form, admin, tablet, API):
    ``AXES_LOCKOUT_CALLABLE`` is called with the request, the view's response and the
    credentials that were tried."""
    until, by_address = lockout_of(request, credentials)
    minutes = max(1, round((until - clock.now()).total_seconds() / 60))
    when = f"{_clock_text(until)} (about {minutes} minute{'s' if minutes != 1 else ''} from now)"
    if by_address:
        text = (
            "Too many failed sign-ins from this network address, under several names. Every "
            f"sign-in from here is locked until {when}. Ask your administrator."
        )
    else:
        text = (
            f"Too many failed sign-ins. This sign-in is locked until {when}. "
            "Ask your administrator if you need to get in sooner."
        )
    retry_after = str(max(1, int((until - clock.now()).total_seconds())))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
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
    else:
        context = {
            "until": until,
            "until_text": _clock_text(until),
            "minutes": minutes,
            "by_address": by_address,
        }
        response = render(request, "core/locked_out.html", context, status=429)
    response["Retry-After"] = retry_after
    return response


# --- The second step ---------------------------------------------------------------------


def new_enrolment_key(user: Any) -> TOTPDevice:
    """A new pending authenticator for the user, in place of any pending one: an enrolment key
    is shown once, so a key seen earlier and not confirmed can no longer be confirmed (someone
    who later gets the half-signed-in screen cannot copy one that still works). Audited, with
    how many pending keys it replaced."""
    with transaction.atomic():
        # One new key at a time per user: two pages opened together replace each other's
        # in turn instead of leaving two keys pending.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        _, deleted = TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        replaced = deleted.get(TOTPDevice._meta.label, 0)
        device = TOTPDevice.objects.create(user=user, name=second_step.DEVICE_NAME, confirmed=False)
        audit.record(
            user,
            Action.CREATE,
            object_type="otp_totp.totpdevice",
            object_id="enrolment",
            purpose=Purpose.SECURITY,
            detail={"event": "new enrolment key shown", "replaced": replaced},
        )
    return device


@route("account/two-factor/", name="two-factor")
@audited("second sign-in step: each attempt is audited by core.two_factor")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app at first sign-in (QR code), or verify a code.

    Each visit (GET) while enrolling shows a new key; a code sent back (POST) is checked against
    the key last shown, and a wrong one is answered without showing the key again."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    user = request.user
    next_url = safe_next(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    form = TwoFactorForm(request.POST or None)
    shown: TOTPDevice | None = None
    if request.method == "GET":
        enrolling = not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if enrolling:
            shown = new_enrolment_key(user)
    else:
        device, enrolling = second_step.device_for(user)
        if form.is_valid():
            result = second_step.verify(request, device, form.cleaned_data["code"])
            if result.verified:
                devices.full_sign_in(request, user, devices.device_for_request(request))
                messages.success(
                    request,
                    "Two-step sign-in is set up." if enrolling else "Signed in.",
                )
                return redirect(next_url)
            form.add_error("code", result.message)
        else:
            second_step.record_malformed(user)
    context = {
        "form": form,
        "enrolling": enrolling,
        "qr": second_step.qr_data_uri(shown) if shown else "",
        "secret": second_step.manual_key(shown) if shown else "",
        "new_key_url": reverse("core:two-factor") + "?" + urlencode({"next": next_url}),
        "next": next_url,
        "redirect_field_name": REDIRECT_FIELD_NAME,
    }
    return render(request, "core/two_factor.html", context)


# --- API tokens --------------------------------------------------------------------------


@route("account/tokens/", name="token-list")
@audited("lists the user's own API tokens (names and dates only)")
@login_required
@never_cache
@require_http_methods(["GET"])
def token_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "core.manage_tokens")
    now = clock.now()
    rows = [{"token": t, "state": t.state_at(now)} for t in tokens.tokens_visible_to(request.user)]
    context = {"rows": rows, "zone": settings.PILLARS_DEFAULT_TIME_ZONE}
    return render(request, "core/token_list.html", context)


QUICK_SWITCH_TOKEN = (
    "You switched in with badge and PIN. Sign in with your password to create an API token."
)


@route("account/tokens/new/", name="token-create")
@audited("creates an API token through core.tokens.create_token")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "core.manage_tokens")
    form = TokenCreateForm(request.POST or None)
    if devices.is_quick_switch(request):
        # A token outlives this session, and a reset PIN ends only the badge sessions: a PIN
        # someone else saw must not become a 90-day bearer token.
        form.add_error(None, QUICK_SWITCH_TOKEN)
    elif request.method == "POST" and form.is_valid():
        try:
            token, secret = tokens.create_token(
                request.user,
                form.cleaned_data["name"],
                form.cleaned_data["scopes"],
                form.cleaned_data["days"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The secret is shown in this one response and never stored: no redirect, no
            # session, and the page is not cached.
            context = {"token": token, "secret": secret, "zone": settings.PILLARS_DEFAULT_TIME_ZONE}
            return render(request, "core/token_created.html", context, status=201)
    context = {"form": form, "max_days": settings.API_TOKEN_MAX_DAYS}
    return render(request, "core/token_create.html", context)


@route("account/tokens/<uuid:public_id>/revoke/", name="token-revoke")
@page("revokes one of the user's own API tokens through core.tokens.revoke_token", POST)
def token_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    token = tokens.get_token_for(request.user, public_id)
    try:
        tokens.revoke_token(token, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The token '{token.name}' is revoked and no longer works.")
    return redirect("core:token-list")


# --- Home and error pages --------------------------------------------------------------


@route("", name="home")
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


@audit_exempt("error page: shows no data")
def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@audit_exempt("error page: shows no data")
def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@audit_exempt("error page: a form refused for its missing or stale security token saves nothing")
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token (opened before the last sign-in, in another
    tab, or from another site): nothing was saved, and the person is told how to send it again,
    on the project's own page rather than Django's bare one."""
    return render(request, "403_csrf.html", status=403)


@audit_exempt("error page: shows no data")
def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@route("account/still-here/", name="still-here")
@audit_exempt("keeps the session alive while someone is typing; reads and writes no record")
@require_POST
def still_here(request: HttpRequest) -> HttpResponse:
    """Real input on a page (not polling) counts as activity for the idle limit."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    return HttpResponse(status=204)
