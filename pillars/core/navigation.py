"""Navigation by role, as a registry: each app registers its entries from its
``AppConfig.ready`` (as it registers policies, home panels and person sections), and each entry
names the policy action that shows it. Entries marked ``more`` go under a "More" list so a
phone's first screen is not all menu; every page a role may use is reachable from here or from
a page linked here (``core/tests/test_navigation_reach.py`` crawls it for every role)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.safestring import SafeString

from pillars.core import policy
from pillars.core.policy import Actor
from pillars.core.templatetags.record_urls import route_key, route_url


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    action: str | None  # None: every signed-in staff member
    order: int = 100
    more: bool = False


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    is_current: bool
    more: bool = False


_entries: dict[str, NavEntry] = {}


def register(entries: Iterable[NavEntry]) -> None:
    for entry in entries:
        _entries[entry.url_name] = entry
    _ordered.cache_clear()
    _addressed.cache_clear()


def registered() -> list[NavEntry]:
    return list(_ordered())


@functools.cache
def _ordered() -> tuple[NavEntry, ...]:
    return tuple(sorted(_entries.values(), key=lambda e: (e.order, e.label)))


def _url(url_name: str) -> str | None:
    """An entry's address (``route_url``); None for a name no route has."""
    try:
        return route_url(url_name)
    except NoReverseMatch:
        return None


@functools.lru_cache(maxsize=8)
def _addressed(*key: Any) -> tuple[tuple[NavEntry, str, tuple[NavItem, NavItem]], ...]:
    """The entries with their addresses and their menu items (not current, current), reversed
    and made once per process and per way of reversing (``key``: the script prefix and
    resolver ``route_url`` reverses with): every page draws the menu, and reversing its names
    again cost more than the rest of it."""
    found = ((entry, _url(entry.url_name)) for entry in _ordered())
    return tuple(
        (
            entry,
            url,
            (
                NavItem(entry.label, url, False, entry.more),
                NavItem(entry.label, url, True, entry.more),
            ),
        )
        for entry, url in found
        if url is not None
    )


def navigation_for(actor: Actor, path: str) -> list[NavItem]:
    addressed = _addressed(*route_key())
    allowed = policy.permitted(
        actor, [entry.action for entry, _, _ in addressed if entry.action is not None]
    )
    items = []
    for entry, url, made in addressed:
        if entry.action is not None and entry.action not in allowed:
            continue
        items.append(made[path == url if url == "/" else path.startswith(url)])
    return items


# The main menu's HTML per set of entries, keyed by their plain values (hashing the entries
# themselves runs their dataclass ``__hash__`` and ``__eq__``, one each per entry and page).
# Its keys follow the roles and the current entries: past MENUS it starts again.
_menus: dict[tuple[tuple[str, str, bool, bool], ...], SafeString] = {}
MENUS = 512


def menu_html(items: tuple[NavItem, ...]) -> SafeString:
    """The main menu's HTML (``core/_nav.html``) for these entries, rendered once per process
    and set of entries: a role's pages draw one menu each (the current entry marked), and
    drawing its few dozen links cost about a millisecond on every page. The menu is made of
    the entries alone: their labels and addresses, which is current, which go under "More"."""
    key = tuple([(item.label, item.url, item.is_current, item.more) for item in items])
    found = _menus.get(key)
    if found is None:
        if len(_menus) >= MENUS:
            _menus.clear()
        found = _menus[key] = _drawn(items)
    return found


def _drawn(items: tuple[NavItem, ...]) -> SafeString:
    more = [item for item in items if item.more]
    return SafeString(
        render_to_string(
            "core/_nav.html",
            {
                "nav_items": items,
                "nav_more": more,
                "nav_more_current": any(item.is_current for item in more),
            },
        )
    )
