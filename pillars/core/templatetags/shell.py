"""What every page's frame draws (``base.html``)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pillars.core.navigation import NavItem, menu_html

register = template.Library()


@register.simple_tag
def main_nav(items: Iterable[NavItem]) -> SafeString:
    """The main menu of these entries (``core.navigation.menu_html``)."""
    return menu_html(tuple(items))


@register.simple_tag
def head_assets() -> SafeString:
    """The frame's icon, style sheet and scripts (htmx from django-htmx's package, then
    Pillars' own), their addresses looked up once per process and static address. The policy
    allows scripts from this site only ('self'), so the tags carry no nonce."""
    return _head_assets(settings.STATIC_URL)


@functools.cache
def _head_assets(static_url: str) -> SafeString:
    return format_html(
        '<link rel="icon" href="{}" type="image/svg+xml">\n'
        '  <link rel="stylesheet" href="{}">\n'
        '  <script src="{}" defer></script>\n'
        '  <script src="{}" defer></script>',
        static("favicon.svg"),
        static("css/pillars.css"),
        static("django_htmx/htmx-2.min.js"),
        static("js/pillars.js"),
    )
