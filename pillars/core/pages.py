"""The declarations every page makes, in one decorator: what it reads or writes for the audit
log (``core.declare.audited``), that it needs a signed-in user, and the HTTP methods it
answers (any other gets 405)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import never_cache as no_cache
from django.views.decorators.http import require_http_methods

from pillars.core.declare import audited

F = TypeVar("F", bound=Callable[..., Any])

GET = ("GET",)
POST = ("POST",)
GET_POST = ("GET", "POST")


def page(what: str, methods: Sequence[str], *, never_cache: bool = False) -> Callable[[F], F]:
    """``@audited(what)``, then ``@login_required``, then ``@require_http_methods(methods)``:
    the order every page stacks them in. With ``never_cache``, ``@never_cache`` stands between
    the audit declaration and the sign-in, so even the redirect to sign in is not cached."""

    def wrap(view: F) -> F:
        checked: F = login_required(require_http_methods(list(methods))(view))
        if never_cache:
            checked = no_cache(checked)
        return audited(what)(checked)

    return wrap
