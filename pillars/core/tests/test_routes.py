"""Each page's path is declared at its view (``core.routes``): every one reaches its own view."""

from __future__ import annotations

from django.urls import resolve

from pillars.core.routes import Routes
from pillars.core.tests.routes import example_url, page_routes


def test_every_page_path_reaches_its_own_view() -> None:
    # Routes keep the order their views are defined in: a path that takes any value (the own
    # page's code link, me/<str:token>/) must come after the fixed paths beside it (me/leave/).
    routes = page_routes()
    assert len(routes) > 200
    for route in routes:
        assert resolve(example_url(route.pattern)).func is route.callback, route.name


def test_a_route_is_the_outermost_decorator_and_keeps_the_definition_order() -> None:
    route = Routes()

    @route("b/", name="b")
    def second(request: object) -> None: ...

    @route("a/", name="a")
    def first(request: object) -> None: ...

    assert [(str(p.pattern), p.name, p.callback) for p in route.patterns] == [
        ("b/", "b", second),
        ("a/", "a", first),
    ]
