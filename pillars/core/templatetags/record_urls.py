"""Links drawn on every page or many times on one (the page frame, the person page and its
sections), without reversing the route again for every link and every request:

- ``{{ person.public_id|record_url:"rounds:order-history" }}`` is
  ``{% url "rounds:order-history" person.public_id %}``, for a route whose one argument is a
  public id;
- ``{{ "core:home"|route_url }}`` is ``{% url "core:home" %}``, for a route without arguments;
- ``record_url("people:person-section", person.public_id, key)`` in Python, for a public id's
  route with a few fixed words after it (a person page section's key).

A route is reversed once per script prefix and URL resolver (what ``reverse`` reads besides the
arguments; the resolver is a new one when the URL configuration changes), a public id's route
with a placeholder id that each link replaces by the record's id. A UUID is written in URL-safe
characters, so the link is exactly what ``reverse`` gives. Anything but a UUID is reversed as
``{% url %}`` would. Within a request (``answering``) the script prefix and URL configuration
are looked up once, for all its links."""

from __future__ import annotations

import contextvars
import functools
from typing import Any
from uuid import UUID

from django import template
from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse

register = template.Library()

_PLACEHOLDER = UUID(int=0)
_PLACEHOLDER_TEXT = str(_PLACEHOLDER)


@functools.lru_cache(maxsize=256)
def _route(
    name: str,
    with_id: bool,
    more: tuple[str, ...],
    prefix: str,
    urlconf: str | None,
    resolver: URLResolver,
) -> str:
    """The route reversed (with the placeholder id when ``with_id``, then ``more``); ``prefix``
    and ``resolver`` are the script prefix and the resolver it was reversed with: part of the
    key, as ``reverse`` reads them."""
    args = [_PLACEHOLDER, *more] if with_id else []
    return reverse(name, args=args, urlconf=urlconf)


type RouteKey = tuple[str, str | None, URLResolver]

# The route key of the request being answered, once looked up (an empty list before); None
# outside a request.
_answering: contextvars.ContextVar[list[RouteKey] | None] = contextvars.ContextVar(
    "pillars_route_key", default=None
)


def answering() -> contextvars.Token[list[RouteKey] | None]:
    """Start answering a request (``RequestContextMiddleware``): its links look up the route
    key once. Django sets the script prefix and the URL configuration before any middleware
    runs and keeps them for the whole request (Pillars sets no ``request.urlconf``, the one
    thing that would change them later), and each looked up through its thread-local costs
    more than the rest of a link: a page draws dozens."""
    return _answering.set([])


def answered(token: contextvars.Token[list[RouteKey] | None]) -> None:
    _answering.reset(token)


def route_key() -> RouteKey:
    """What a reversed address depends on besides its route: the script prefix, the urlconf
    and its resolver (a cache of addresses keys on these)."""
    kept = _answering.get()
    if kept:
        return kept[0]
    urlconf = get_urlconf()
    key = get_script_prefix(), urlconf, get_resolver(urlconf)
    if kept is not None:
        kept.append(key)
    return key


def record_url(name: str, public_id: Any, *more: str) -> str:
    """``reverse(name, args=[public_id, *more])`` for a route whose first argument is a public
    id; ``more``, a few fixed words (a section's key), is part of what is reversed once."""
    if not isinstance(public_id, UUID):
        return reverse(name, args=[public_id, *more])
    return _route(name, True, more, *route_key()).replace(_PLACEHOLDER_TEXT, str(public_id))


def route_url(name: str) -> str:
    """``reverse(name)`` for a route without arguments."""
    return _route(name, False, (), *route_key())


@register.filter(name="record_url")
def record_url_filter(public_id: Any, name: str) -> str:
    return record_url(name, public_id)


@register.filter(name="route_url")
def route_url_filter(name: str) -> str:
    return route_url(name)
