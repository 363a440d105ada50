"""Sections that other apps add to a person served's page (observation level, plans, ...).

Imports point down (domain apps -> people), so people never imports them: an app registers a
section from its ``AppConfig.ready`` with a template and a context function, and the person
page includes each section whose function returns a context (``None`` hides it, for example
from a role the section is not for). The page has already checked that the person is in the
user's scope and audited the read, so a section asks about its actions with
``policy.allows``. The page's own context (``person``, ``zone_name``, ``writable``) is visible
in the section's template too.

What a section may show is decided here, once, from its data ``category`` (the audit
categories), not in each context function:

- ``part2`` (substance use): shown only when the viewer may read the person's Part 2 records
  (``labels.person_part2_open``: their program's team, the privacy officer, an emergency grant
  or a consent that names them). The records inside are still filtered one by one by their
  labels; this keeps a whole section (and its queries) away from a viewer it is closed to.
- ``wellbeing``: a staff member's own wellbeing, never shown to anyone but its owner: the
  section's ``owner`` says whether the viewer is; without one it is never shown.
- ``general`` and ``none``: the context function alone decides.

A section marked ``on_demand`` is not computed with the page: the page shows its title and a
link (htmx ``hx-get``) to ``people:person-section``, which checks scope, audits the read and
renders it when opened. Heavy or rarely needed sections (history) are on demand; what the floor
needs at once stays inline. Sections are shown under their ``group`` heading; groups come in
the order of their first section, sections within a group by ``order`` then key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.http import HttpRequest
from django.template import Engine, Template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from pillars.audit.choices import Category
from pillars.core import policy, prepared
from pillars.core.templatetags.record_urls import record_url
from pillars.people.models import PersonServed

# The groups the person page shows today (a section may name another; it is shown the same way).
SAFETY = "Safety"
RECOVERY = "Recovery"
CARE_TEAM = "Care team"
PRIVACY = "Privacy and consent"
OTHER = "More about this person"


# (request, person, the page's context) -> the section's context, or None to hide it; or a
# function that reads in steps (``prepared.Steps``) and answers the same.
type SectionAnswer = dict[str, Any] | prepared.Steps[dict[str, Any] | None] | None
SectionContext = Callable[[HttpRequest, PersonServed, dict[str, Any]], SectionAnswer]


def hidden_unless_allowed(action: str) -> Callable[[SectionContext], SectionContext]:
    """A section's context function, hidden (None) from a viewer the policy does not allow
    ``action`` on the person. The person page has already checked scope and audited the read of
    this person, so this asks with ``policy.allows``."""

    def decorate(context: SectionContext) -> SectionContext:
        @functools.wraps(context)
        def guarded(
            request: HttpRequest, person: PersonServed, page: dict[str, Any]
        ) -> SectionAnswer:
            if not policy.allows(request.user, action, person):
                return None
            return context(request, person, page)

        return guarded

    return decorate


@dataclass(frozen=True)
class PersonSection:
    key: str
    template: str
    context: SectionContext
    order: int = 100
    category: str = Category.GENERAL
    group: str = OTHER
    # Rendered only when opened (a placeholder with a link on the page); needs a title and,
    # so the placeholder is not offered to a role the section is not for, the policy action.
    on_demand: bool = False
    title: str = ""
    action: str = ""
    # Wellbeing sections: (request, person) -> whether the viewer owns what the section shows.
    owner: Callable[[HttpRequest, PersonServed], bool] | None = None

    def __post_init__(self) -> None:
        if self.category not in Category.values:
            raise ValueError(f"Unknown category for section {self.key}: {self.category}")
        if self.on_demand and not (self.title and self.action):
            raise ValueError(f"An on-demand section needs a title and an action: {self.key}")

    @functools.cached_property
    def compiled(self) -> Template:
        """The section's template, found and compiled once per process: the page includes it
        without looking its name up again."""
        return Engine.get_default().get_template(self.template)

    def placeholder(self, url: str) -> SafeString:
        """An on-demand section's place on the page: its title and the link (``url``) that
        opens it (htmx swaps the rendered section in)."""
        return format_html(self._placeholder, url=url)

    @functools.cached_property
    def _placeholder(self) -> str:
        # The section's own words are escaped into the placeholder once per process (braces
        # doubled, so that only ``{url}`` is left to fill in).
        return format_html(
            '<section class="card" id="section-{key}" aria-labelledby="h-section-{key}">\n'
            '  <h2 id="h-section-{key}">{title}</h2>\n'
            '  <p><a href="{{url}}" hx-get="{{url}}" hx-target="#section-{key}" '
            'hx-swap="outerHTML">Show {lower}</a></p>\n'
            "</section>\n",
            key=_braced(self.key),
            title=_braced(self.title),
            lower=_braced(self.title.lower()),
        )


def _braced(words: str) -> str:
    return words.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True)
class RenderedSection:
    """A section as the page shows it: an inline section's template and context, or an
    on-demand section's placeholder."""

    key: str
    group: str
    template: Template | None = None
    context: dict[str, Any] | None = None
    placeholder: SafeString | None = None


@dataclass
class SectionGroup:
    title: str
    sections: list[RenderedSection] = field(default_factory=list)

    @property
    def slug(self) -> SafeString:
        return _group_words(self.title)[0]

    @property
    def heading(self) -> SafeString:
        return _group_words(self.title)[1]

    @property
    def parts(self) -> list[tuple[Template | None, dict[str, Any] | None, SafeString | None]]:
        """What the page's loop takes apart for each section: the template it includes, the
        context that template calls ``section``, or the placeholder it shows instead."""
        return [(s.template, s.context, s.placeholder) for s in self.sections]


@functools.cache
def _group_words(title: str) -> tuple[SafeString, SafeString]:
    """A group's slug and heading; group titles are a few fixed words, each made once per
    process."""
    slug = conditional_escape("".join(c if c.isalnum() else "-" for c in title.lower()))
    return slug, format_html('<h2 id="h-group-{}" class="section-group-title">{}</h2>', slug, title)


_sections: dict[str, PersonSection] = {}
# Marks the page's own reads among the sections' (a section's key is a string).
PAGE = "page"


def register_section(section: PersonSection) -> None:
    _sections[section.key] = section


def get_section(key: str) -> PersonSection | None:
    return _sections.get(key)


class _Gate:
    """Whether the viewer may see sections of each category for this person, each asked at
    most once per page (the Part 2 question costs one query)."""

    def __init__(
        self, request: HttpRequest, person: PersonServed, page: dict[str, Any] | None = None
    ) -> None:
        self.request = request
        self.person = person
        # The person page read the placements already: it passes their Part 2 units.
        self.part2_units: set[int] | None = (page or {}).get("part2_unit_ids")
        self._part2: bool | None = None

    def allows(self, section: PersonSection) -> bool:
        if section.category == Category.SUBSTANCE_USE:
            if self._part2 is None:
                from pillars.people.labels import person_part2_open

                actor = policy.actor_for(self.request.user)
                self._part2 = person_part2_open(actor, self.person, self.part2_units)
            return self._part2
        if section.category == Category.WELLBEING:
            return section.owner is not None and bool(section.owner(self.request, self.person))
        return True


def category_allows(request: HttpRequest, person: PersonServed, section: PersonSection) -> bool:
    """The category gate of one section (the on-demand route asks the same as the page)."""
    return _Gate(request, person).allows(section)


def sections_for(
    request: HttpRequest,
    person: PersonServed,
    page: dict[str, Any],
    reads: Mapping[str, prepared.Steps[Any]] | None = None,
) -> list[RenderedSection]:
    """The sections this viewer sees on the person's page, in page order: each group at the
    place of its first section, sections within it by order. On-demand sections are not
    computed (their placeholder names the route that renders them). A context function that
    reads in steps (``prepared.Steps``) has its reads run with the other sections' (one round
    trip per step for them all); so do the page's own ``reads``, whose answers are put in
    ``page`` under their keys."""
    gate = _Gate(request, person, page)
    shown: list[PersonSection] = []
    asked: dict[str, Any] = {}
    for section in sorted(_sections.values(), key=attrgetter("order", "key")):
        if section.action and not policy.allows(request.user, section.action, person):
            continue
        if not gate.allows(section):
            continue
        shown.append(section)
        if not section.on_demand:
            asked[section.key] = section.context(request, person, page)
    own = dict(reads or {})
    contexts = prepared.gather({**{(PAGE, key): read for key, read in own.items()}, **asked})
    page.update({key: contexts[(PAGE, key)] for key in own})
    groups: dict[str, list[RenderedSection]] = {}
    for section in shown:
        if section.on_demand:
            url = record_url("people:person-section", person.public_id, section.key)
            rendered = RenderedSection(
                section.key, section.group, placeholder=section.placeholder(url)
            )
        else:
            context = contexts[section.key]
            if context is None:
                continue
            rendered = RenderedSection(section.key, section.group, section.compiled, context)
        groups.setdefault(section.group, []).append(rendered)
    return [s for group in groups.values() for s in group]


def section_context(
    request: HttpRequest, person: PersonServed, section: PersonSection, page: dict[str, Any]
) -> dict[str, Any] | None:
    """One section's context, alone (the on-demand route): its reads run as it asks."""
    found = section.context(request, person, page)
    return prepared.run(found) if isinstance(found, Generator) else found


def grouped(sections: list[RenderedSection]) -> list[SectionGroup]:
    """The page's sections under their group headings (``sections_for`` already put each
    group's sections together)."""
    groups: list[SectionGroup] = []
    for section in sections:
        if not groups or groups[-1].title != section.group:
            groups.append(SectionGroup(section.group))
        groups[-1].sections.append(section)
    return groups
