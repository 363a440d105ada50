"""The main menu is drawn once per process and set of entries (``navigation.menu_html``): each
page still marks its own entry, each role sees its own entries, and what a label holds is
escaped as any template text is."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from pillars.core.navigation import NavItem, menu_html
from pillars.people.testing import World


def _menu(page: str) -> str:
    return page.split('<nav aria-label="Main">')[1].split("</nav>")[0]


def test_each_page_marks_its_own_entry_and_each_role_sees_its_own(
    world: World, signed_in: Any
) -> None:
    nurse = signed_in("nurse")
    persons = reverse("people:person-list")
    home = _menu(nurse.get("/").content.decode())
    listed = _menu(nurse.get(persons).content.decode())
    assert f'href="{persons}" aria-current="page"' in listed
    assert f'href="{persons}" aria-current="page"' not in home
    assert f'href="{persons}"' in home
    # Home again, after another page's menu was drawn: still the home page's menu.
    assert _menu(nurse.get("/").content.decode()) == home
    peer_menu = _menu(signed_in("peer").get("/").content.decode())
    assert peer_menu != home


def test_the_menu_is_drawn_once_per_set_of_entries_and_escapes_its_labels() -> None:
    items = (
        NavItem("Units & <beds>", "/units/", True),
        NavItem("Reports", "/reports/", False, more=True),
    )
    drawn = menu_html(items)
    assert menu_html(tuple(items)) is drawn
    assert "Units &amp; &lt;beds&gt;" in drawn
    assert 'href="/units/" aria-current="page"' in drawn
    assert "<summary>More</summary>" in drawn
    assert 'href="/reports/"' in drawn.split("<summary>More</summary>")[1]
    assert menu_html(items[:1]) is not drawn
    assert "<summary>More</summary>" not in menu_html(items[:1])
