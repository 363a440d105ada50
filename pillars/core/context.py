"""Who and where the current request comes from, for the audit log.

Set once per request by ``RequestContextMiddleware``; commands and workers leave it empty.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    channel: str = "web"  # web, api, command, worker


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "pillars_request_context",
    default=RequestContext(channel="command"),  # noqa: B039  (frozen: immutable)
)


def current() -> RequestContext:
    return _current.get()


def use(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
