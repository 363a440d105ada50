"""Person-page sections (people.sections): the data category decided once for every section,
on-demand sections behind their own audited, scoped route, and group headings in order."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Engine
from django.test import RequestFactory
from django.urls import reverse

from pillars.audit.choices import Category
from pillars.audit.models import AuditEvent
from pillars.people import sections
from pillars.people.models import PersonServed
from pillars.people.sections import PersonSection, grouped, sections_for
from pillars.people.testing import World
from pillars.people.tests.part2_support import Part2Story, build_story

pytestmark = pytest.mark.django_db

TEMPLATE = "incidents/incidents/partials/_person_incidents.html"
asked: list[str] = []


def _always(request: Any, person: PersonServed, page: dict[str, Any]) -> dict[str, Any]:
    asked.append(person.record_number)
    return {"rows": [], "can_report": False, "probe": "always"}


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> dict[str, PersonSection]:
    """Only probe sections on the page (the shipped ones stay registered after the test)."""
    found = {
        "probe-part2": PersonSection(
            "probe-part2",
            TEMPLATE,
            _always,
            order=5,
            category=Category.SUBSTANCE_USE,
            group="Recovery",
        ),
        "probe-general": PersonSection("probe-general", TEMPLATE, _always, order=1, group="Safety"),
        "probe-later": PersonSection("probe-later", TEMPLATE, _always, order=9, group="Safety"),
        "probe-wellbeing": PersonSection(
            "probe-wellbeing",
            TEMPLATE,
            _always,
            order=2,
            category=Category.WELLBEING,
            group="Safety",
        ),
        "probe-mine": PersonSection(
            "probe-mine",
            TEMPLATE,
            _always,
            order=3,
            category=Category.WELLBEING,
            group="Safety",
            owner=lambda request, person: True,
        ),
    }
    monkeypatch.setattr(sections, "_sections", dict(found))
    asked.clear()
    return found


def _shown(user: Any, person: PersonServed) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [s.key for s in sections_for(request, person, {"writable": True})]


def test_a_part2_section_is_hidden_from_a_viewer_without_part2_access(
    world: World, probes: dict[str, PersonSection]
) -> None:
    story: Part2Story = build_story(world)
    # Unit A's nurse reads the person (placed there now) but not what the program wrote.
    shown = _shown(world.user("nurse"), story.person)
    assert "probe-part2" not in shown
    assert "probe-general" in shown
    # Decided before the section's own function: it was never asked for the part2 section.
    assert asked.count(story.person.record_number) == len(shown)
    # The program's own team sees it.
    assert "probe-part2" in _shown(story.user("sud_director"), story.person)
    # A person never placed in a Part 2 program has nothing Part 2 to hide.
    assert "probe-part2" in _shown(world.user("nurse"), world.person_a)


def test_wellbeing_sections_only_for_their_owner(
    world: World, probes: dict[str, PersonSection]
) -> None:
    shown = _shown(world.user("nurse"), world.person_a)
    assert "probe-wellbeing" not in shown
    assert "probe-mine" in shown


def test_groups_come_in_the_order_of_their_first_section(
    world: World, probes: dict[str, PersonSection]
) -> None:
    request = RequestFactory().get("/")
    request.user = world.user("nurse")
    groups = grouped(sections_for(request, world.person_a, {"writable": True}))
    assert [g.title for g in groups] == ["Safety", "Recovery"]
    assert [s.key for s in groups[0].sections] == ["probe-general", "probe-mine", "probe-later"]
    assert [s.key for s in groups[1].sections] == ["probe-part2"]


def test_the_person_page_shows_group_headings_and_on_demand_placeholders(
    world: World, signed_in: Any
) -> None:
    page = signed_in("nurse").get(reverse("people:person-detail", args=[world.person_a.public_id]))
    body = page.content.decode()
    assert body.index('id="h-group-safety"') < body.index('id="h-group-care-team"')
    url = reverse("people:person-section", args=[world.person_a.public_id, "incidents-incidents"])
    assert f'hx-get="{url}"' in body
    assert 'id="h-person-incidents"' not in body  # not computed until opened


def test_the_on_demand_route_checks_scope_and_audits_the_read(world: World, signed_in: Any) -> None:
    url = reverse("people:person-section", args=[world.person_a.public_id, "incidents-incidents"])
    assert signed_in("outsider").get(url).status_code == 404
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    opened = signed_in("nurse").get(url, headers={"HX-Request": "true"})
    assert opened.status_code == 200
    assert 'id="h-person-incidents"' in opened.content.decode()
    assert "<html" not in opened.content.decode()  # htmx gets the section alone
    event = AuditEvent.objects.filter(seq__gt=before, action="view").get()
    assert event.person_id == world.person_a.public_id
    assert event.detail["what"] == "section:incidents-incidents"
    # Without htmx the section comes on a page of its own.
    assert "<html" in signed_in("nurse").get(url).content.decode()
    unknown = reverse("people:person-section", args=[world.person_a.public_id, "no-such"])
    assert signed_in("nurse").get(unknown).status_code == 404


def test_the_on_demand_route_refuses_a_part2_section_closed_to_the_viewer(
    world: World, signed_in: Any, probes: dict[str, PersonSection]
) -> None:
    story = build_story(world)
    url = reverse("people:person-section", args=[story.person.public_id, "probe-part2"])
    assert signed_in("nurse").get(url).status_code == 404
    assert asked == []
    general = reverse("people:person-section", args=[story.person.public_id, "probe-general"])
    assert signed_in("nurse").get(general).status_code == 200


def test_a_section_template_is_found_once_and_included_as_compiled(
    world: World, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = PersonSection("probe-found", TEMPLATE, _always)
    found: list[str] = []
    real = Engine.get_template

    def counted(engine: Engine, name: str) -> Any:
        found.append(name)
        return real(engine, name)

    monkeypatch.setattr(Engine, "get_template", counted)
    monkeypatch.setattr(sections, "_sections", {"probe-found": section})
    url = reverse("people:person-detail", args=[world.person_a.public_id])
    for _ in range(2):
        body = signed_in("nurse").get(url).content.decode()
        assert 'id="h-person-incidents"' in body  # the probe's template, with its context
    assert found.count(TEMPLATE) == 1
    assert section.compiled is section.compiled


def test_an_on_demand_placeholder_escapes_the_sections_words_and_its_address() -> None:
    section = PersonSection(
        "probe-notes",
        TEMPLATE,
        _always,
        on_demand=True,
        title='Notes {and} <"history">',
        action="people.view_person",
    )
    assert section.placeholder("/people/x/?a=1&b={2}") == (
        '<section class="card" id="section-probe-notes" aria-labelledby="h-section-probe-notes">\n'
        '  <h2 id="h-section-probe-notes">Notes {and} &lt;&quot;history&quot;&gt;</h2>\n'
        '  <p><a href="/people/x/?a=1&amp;b={2}" hx-get="/people/x/?a=1&amp;b={2}" '
        'hx-target="#section-probe-notes" hx-swap="outerHTML">'
        "Show notes {and} &lt;&quot;history&quot;&gt;</a></p>\n"
        "</section>\n"
    )


def test_a_group_has_its_slug_and_heading() -> None:
    group = sections.SectionGroup("Privacy and consent")
    assert group.slug == "privacy-and-consent"
    assert group.heading == (
        '<h2 id="h-group-privacy-and-consent" class="section-group-title">Privacy and consent</h2>'
    )
    assert sections.SectionGroup("Care & <team>").heading == (
        '<h2 id="h-group-care----team-" class="section-group-title">Care &amp; &lt;team&gt;</h2>'
    )


def test_each_part_is_a_template_with_its_context_or_a_placeholder(
    world: World, probes: dict[str, PersonSection], monkeypatch: pytest.MonkeyPatch
) -> None:
    probes["probe-later"] = PersonSection(
        "probe-later",
        TEMPLATE,
        _always,
        order=9,
        group="Safety",
        on_demand=True,
        title="Later",
        action="people.view_person",
    )
    monkeypatch.setattr(sections, "_sections", dict(probes))
    request = RequestFactory().get("/")
    request.user = world.user("nurse")
    safety = grouped(sections_for(request, world.person_a, {"writable": True}))[0]
    (first, context, none), _, (nothing, empty, placeholder) = safety.parts
    assert first is probes["probe-general"].compiled
    assert context == {"rows": [], "can_report": False, "probe": "always"}
    assert none is None
    assert nothing is None
    assert empty is None
    url = reverse("people:person-section", args=[world.person_a.public_id, "probe-later"])
    assert placeholder == probes["probe-later"].placeholder(url)
