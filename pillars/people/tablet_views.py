"""The shared unit tablet pages: register this browser as a tablet, stop using it as one,
switch in with badge number and PIN, and set one's own PIN. Their paths stay under
``/account/`` (tablets have them bookmarked); the names are in the ``tablets`` namespace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pillars.core import devices, policy
from pillars.core.backends import axes_username
from pillars.core.declare import audit_exempt, audited
from pillars.core.errors import ValidationError
from pillars.core.middleware import AUTH_KEY
from pillars.core.routes import Routes
from pillars.core.sessions import DEVICE_SESSION_KEY
from pillars.core.views import apply_errors, ended_here, mask_secrets, safe_next
from pillars.people.models import Staff, Unit
from pillars.people.services import enroll_on_device, register_device, set_pin
from pillars.people.tablet_forms import PinForm, TabletRegisterForm, TabletSwitchForm
from pillars.people.tablets import clear_device_cookie, device_for_request, set_device_cookie

route = Routes()


@route("tablet/register/", name="register")
@audited("registers this browser as a unit tablet through people.services.register_device")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tablet_register(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "people.register_device"):
        raise PermissionDenied("You do not have permission to do that.")
    units = policy.restrict(
        Unit.objects.filter(is_active=True), request.user, "people.register_device"
    )
    form = TabletRegisterForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            device, secret = register_device(
                actor=request.user, unit=form.cleaned_data["unit"], name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The registrant has fully signed in on this browser already; count that sign-in,
            # unless their role needs a second step (a PIN never replaces it) or this session
            # began with badge and PIN (a PIN would then renew itself, tablet after tablet).
            actor = policy.actor_for(request.user)
            signed_in = request.session.get(AUTH_KEY)
            staff = Staff.objects.filter(pk=actor.staff_pk).first() if actor.staff_id else None
            full = not actor.requires_two_factor and not devices.is_quick_switch(request)
            if staff is not None and signed_in and full:
                enroll_on_device(device, staff, signed_in_at=datetime.fromtimestamp(signed_in, UTC))
            messages.success(
                request,
                f"This browser is now the tablet '{device.name}' on {device.unit}. Staff who "
                "sign in fully here can switch in with badge number and PIN for 12 hours.",
            )
            # This session began before the browser was a tablet: revoking the tablet ends it too.
            request.session[DEVICE_SESSION_KEY] = str(device.public_id)
            response = redirect("tablets:register")
            set_device_cookie(response, secret)
            return response
    context = {"form": form, "device": device_for_request(request)}
    return render(request, "core/tablet_register.html", context)


@route("tablet/forget/", name="forget")
@audit_exempt("only deletes this browser's tablet cookie; no data is read or written")
@require_POST
def tablet_forget(request: HttpRequest) -> HttpResponse:
    messages.info(request, "This browser is no longer used as a unit tablet.")
    response = redirect(settings.LOGIN_URL)
    clear_device_cookie(response)
    return response


@route("tablet/switch/", name="switch")
@audited("badge-and-PIN sign-in on a trusted tablet: audited by the authentication signals")
@never_cache
@require_http_methods(["GET", "POST"])
def tablet_switch(request: HttpRequest) -> HttpResponse:
    """Switch user on a trusted tablet: the current user's session on this browser ends (their
    sessions elsewhere do not), and the staff member with the badge and PIN is signed in."""
    device = device_for_request(request)
    if device is None:
        return render(request, "core/tablet_switch.html", {"device": None}, status=403)
    form = TabletSwitchForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        mask_secrets(request, "pin")
        user = authenticate(
            request,
            badge=form.cleaned_data["badge"],
            pin=form.cleaned_data["pin"],
            device=device,
        )
        if user is not None:
            previous = request.user if request.user.is_authenticated else None
            if previous is not None and previous.pk != user.pk:
                ended_here(previous, device)
            # A different user in the session makes login() flush it: this browser's session
            # ends, the previous user's other sessions are untouched.
            login(request, user)
            # axes resets the count of the account's sign-in name on success; the badge's
            # count is kept under another name, so reset it too (AXES_RESET_ON_SUCCESS), for
            # this address only, as axes does.
            axes_reset(
                username=axes_username(
                    request, {"badge": form.cleaned_data["badge"], "device": device}
                ),
                ip=getattr(request, "axes_ip_address", None),
            )
            return redirect(safe_next(request, reverse("core:home")))
        error = (
            "That badge number and PIN did not work here. Check them, or sign in with your "
            "password: badge and PIN work only within 12 hours of a full sign-in on this tablet."
        )
    context = {"device": device, "form": form, "error": error, "next": safe_next(request, "")}
    return render(request, "core/tablet_switch.html", context)


@route("pin/", name="pin")
@audited("sets the user's own PIN through people.services.set_pin")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def pin_set(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    staff = Staff.objects.filter(user=user).first()
    if staff is None:
        raise PermissionDenied("You do not have permission to do that.")
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mask_secrets(request, "current_password", "pin", "pin_again")
        checked = authenticate(
            request,
            username=request.user.get_username(),
            password=form.cleaned_data["current_password"],
        )
        if checked is None or checked.pk != request.user.pk:
            form.add_error("current_password", "That is not your current password.")
        else:
            try:
                set_pin(staff, actor=request.user, pin=form.cleaned_data["pin"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Your PIN is set. Use it with your badge number.")
                return redirect("tablets:pin")
    context = {"form": form, "staff": staff, "has_pin": bool(staff.pin_hash)}
    return render(request, "core/pin_set.html", context)
