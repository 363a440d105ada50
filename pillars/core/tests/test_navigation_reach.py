"""Every page a role may use is reachable from its navigation: for each role, the pages the
permission matrix allows it (parameterless GET routes answering A) are compared with the links
found by crawling from the home page through the pages it links to. A page the matrix allows but
no link reaches is a door the role cannot find (issue 11: supervisors never found the incident
review queue)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from pillars.core.tests.matrix_support import WHO
from pillars.core.tests.test_matrix import PAGES
from pillars.people.testing import World

# Pages that are not destinations: steps reached from a form or a device, machine endpoints and
# the signed-out pages. Each says why it needs no menu link.
NOT_DESTINATIONS = {
    "core:login": "the sign-in page itself",
    "core:two-factor": "the second step of signing in",
    "core:still-here": "answered by the idle-timeout dialog",
    "tablets:register": "reached from the tablet's sign-in page",
    "rounds:offline": "shown by the service worker when a link fails offline",
    "rounds:offline-worker": "the service worker's script",
    "alerts:inbox-count": "the alert badge's poll (a fragment, not a page)",
    "healthz": "the load balancer's liveness probe",
    "readyz": "the load balancer's readiness probe",
}

HREF = re.compile(r'href="([^"#]*)')


def _allowed(who: str) -> dict[str, str]:
    """Path -> route name of each parameterless page the matrix lets ``who`` open."""
    found = {}
    for name, case in PAGES.items():
        if case.method != "GET" or case.kwargs or name in NOT_DESTINATIONS:
            continue
        if case.codes()[who] == "A":
            found[reverse(name)] = name
    return found


SKIP = re.compile(r"^/(static|media|api|admin)/|/(pdf|csv|export)/?$|\\.(js|css|pdf|csv)$")


def _crawl(client: Any, targets: set[str], depth: int = 2) -> set[str]:
    """The paths among ``targets`` linked from home or from the pages its links reach, ``depth``
    clicks deep (home, a menu page, a page it links to: a unit's board, a person's page)."""
    seen: set[str] = set()
    queue = deque([("/", 0)])
    visited: set[str] = set()
    while queue:
        path, level = queue.popleft()
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            link = urlsplit(href).path
            if not link.startswith("/") or SKIP.search(link):
                continue
            seen.add(link)
            # One page per kind is enough below the menu: the crawl stays small and bounded.
            if level < depth and link not in visited:
                queue.append((link, level + 1))
    return seen & targets


@pytest.mark.django_db
@pytest.mark.parametrize("who", [w for w in WHO if w != "anon"])
def test_every_allowed_page_is_reachable_from_the_navigation(
    who: str, world: World, signed_in: Any
) -> None:
    allowed = _allowed(who)
    assert allowed, f"{who} may open no page at all"
    reached = _crawl(signed_in(who), set(allowed))
    missing = sorted(allowed[path] for path in set(allowed) - reached)
    assert missing == [], f"{who} may open these pages but no link reaches them: {missing}"
