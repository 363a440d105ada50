"""What every page's frame draws (``base.html``)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from pillars.core.navigation import NavItem, menu_html

register = template.Library()


@register.simple_tag
def main_nav(items: Iterable[NavItem]) -> SafeString:
    """The main menu of these entries (``core.navigation.menu_html``)."""
    return menu_html(tuple(items))
