"""Links to a record's pages by its public id, for the pages that draw many of them (the person
page and its sections): ``{{ person.public_id|record_url:"rounds:order-history" }}`` is
``{% url "rounds:order-history" person.public_id %}``, without reversing the route again for
every link and every request.

A route whose one argument is a public id is reversed once (per script prefix and URL
configuration, what ``reverse`` reads besides the arguments) with a placeholder id; each link
puts the record's id in its place. A UUID is written in URL-safe characters, so the link is
exactly what ``reverse`` gives. Anything but a UUID is reversed as ``{% url %}`` would."""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_PLACEHOLDER = UUID(int=0)
_PLACEHOLDER_TEXT = str(_PLACEHOLDER)


@functools.lru_cache(maxsize=256)
def _route(name: str, prefix: str, urlconf: Any) -> str:
    """The route reversed with the placeholder id (``prefix`` is the script prefix it was
    reversed under: part of the key, as ``reverse`` prepends it)."""
    return reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)


def record_url(name: str, public_id: Any) -> str:
    """``reverse(name, args=[public_id])`` for a route whose one argument is a public id."""
    if not isinstance(public_id, UUID):
        return reverse(name, args=[public_id])
    return _route(name, get_script_prefix(), get_urlconf()).replace(
        _PLACEHOLDER_TEXT, str(public_id)
    )


@register.filter(name="record_url")
def record_url_filter(public_id: Any, name: str) -> str:
    return record_url(name, public_id)
