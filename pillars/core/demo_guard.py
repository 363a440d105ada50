"""Production refuses demo accounts.

``pillars demo`` makes sign-ins with a published password and two-step keys that follow a
known formula. A database loaded that way must never be served as production: every
production start (a management command's system checks: serve, worker, migrate) and the web
application itself refuse while any demo account is active, and say how to fix it
(``pillars disable-demo``). Demo accounts are known by ``User.is_demo``, set by the demo
generator, never by their names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

PROBLEM = (
    "This database holds {n} active demo account(s) from 'pillars demo', whose password is "
    "published: production refuses to start. Run 'pillars disable-demo --yes' to switch every "
    "demo account off (or start from a new database)."
)


def active_demo_accounts() -> int | None:
    """How many demo accounts can sign in; None when the table is not there yet (before the
    first migrate)."""
    from pillars.core.models import User

    try:
        return User.objects.filter(is_demo=True, is_active=True).count()
    except DatabaseError:
        return None


@checks.register()
def demo_accounts_in_production(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    n = active_demo_accounts()
    if not n:
        return []
    return [checks.Error(PROBLEM.format(n=n), id="pillars.E001")]


class DemoAccountGuard:
    """Production only: until the database is shown free of active demo accounts, every
    request answers 503 naming the problem. Checked once per process while it holds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.cleared = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.cleared:
            n = active_demo_accounts()
            if n:
                return HttpResponse(
                    PROBLEM.format(n=n), status=503, content_type="text/plain; charset=utf-8"
                )
            self.cleared = n == 0
        return self.get_response(request)
