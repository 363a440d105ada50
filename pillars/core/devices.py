"""What core's sign-in needs to know of shared devices, without knowing what a device is.

Core may not import the domain apps (test_import_walls). The app that keeps trusted tablets
(people) fills these hooks in from its ``AppConfig.ready``: how to find the tablet a request
comes from, which authentication backends are a quick switch rather than a full sign-in, and
what to do when someone fully signs in on a tablet. With nothing registered, no request is on a
tablet and every sign-in is a password sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest

DeviceLookup = Callable[[HttpRequest], Any]
FullSignInHook = Callable[[HttpRequest, Any, Any], None]

_lookup: DeviceLookup | None = None
_methods: dict[str, str] = {}
_full_sign_in_hooks: list[FullSignInHook] = []


def register(
    *,
    lookup: DeviceLookup,
    methods: dict[str, str] | None = None,
    on_full_sign_in: FullSignInHook | None = None,
) -> None:
    """Install the device hooks; called once per process from an ``AppConfig.ready``.

    ``methods`` names the sign-in method (for the audit event) of each backend's dotted path;
    ``on_full_sign_in(request, user, device)`` runs after a full sign-in on a device."""
    global _lookup
    _lookup = lookup
    _methods.update(methods or {})
    if on_full_sign_in is not None and on_full_sign_in not in _full_sign_in_hooks:
        _full_sign_in_hooks.append(on_full_sign_in)


def device_for_request(request: HttpRequest | None) -> Any:
    """The trusted device this browser is, or None (also when no app keeps devices)."""
    if request is None or _lookup is None:
        return None
    return _lookup(request)


def sign_in_method(user: Any) -> str:
    """How the user just signed in: a registered backend's method name, else ``password``."""
    return _methods.get(getattr(user, "backend", "") or "", "password")


def is_quick_switch(request: HttpRequest) -> bool:
    """Whether this browser's session began with a registered quick switch (badge and PIN)
    rather than a full sign-in: such a session may not make what outlives it (an API token, a
    tablet's enrolment), or a known PIN would outlive its reset."""
    session = getattr(request, "session", None)
    backend = session.get(BACKEND_SESSION_KEY, "") if session is not None else ""
    return backend in _methods


def full_sign_in(request: HttpRequest, user: Any, device: Any) -> None:
    """Tell the device keepers that ``user`` fully signed in (password, and the second step when
    owed) on ``device``."""
    if device is None:
        return
    for hook in _full_sign_in_hooks:
        hook(request, user, device)
