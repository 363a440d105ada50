"""Sections that other apps add to a person served's page (observation level, plans, ...).

Imports point down (domain apps -> people), so people never imports them: an app registers a
section from its ``AppConfig.ready`` with a template and a context function, and the person
page includes each section whose function returns a context (``None`` hides it, for example
from a role the section is not for). The page has already checked that the person is in the
user's scope and audited the read, so a section asks about its actions with
``policy.allows``. The page's own context (``person``, ``zone_name``, ``writable``) is visible
in the section's template too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from pillars.people.models import PersonServed


@dataclass(frozen=True)
class PersonSection:
    key: str
    template: str
    # (request, person, the page's context) -> the section's context, or None to hide it.
    context: Callable[[HttpRequest, PersonServed, dict[str, Any]], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class RenderedSection:
    key: str
    template: str
    context: dict[str, Any]


_sections: dict[str, PersonSection] = {}


def register_section(section: PersonSection) -> None:
    _sections[section.key] = section


def sections_for(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> list[RenderedSection]:
    shown = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        context = section.context(request, person, page)
        if context is not None:
            shown.append(RenderedSection(section.key, section.template, context))
    return shown
