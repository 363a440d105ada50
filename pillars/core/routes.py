"""Each page's path is declared at its view: ``@route("units/<uuid:public_id>/board/",
name="board")`` stands above the view's other decorators, and the module's ``route.patterns``
are its URL patterns, in the order the views are defined. The API's routes are declared the same
way, at their handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import URLPattern, path

V = TypeVar("V", bound=Callable[..., Any])


class Routes:
    """The routes of one view module."""

    def __init__(self) -> None:
        self.patterns: list[URLPattern] = []

    def __call__(self, route: str, *, name: str) -> Callable[[V], V]:
        """Route ``route`` to the decorated view, named ``name``; the outermost decorator, so
        the path reaches the view through all the others."""

        def register(view: V) -> V:
            self.patterns.append(path(route, view, name=name))
            return view

        return register
