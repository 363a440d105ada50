"""The ``record_url`` and ``route_url`` filters give what ``{% url %}`` gives, under any script
prefix and URL configuration."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from pillars.core import middleware
from pillars.core.templatetags import record_urls
from pillars.core.templatetags.record_urls import record_url, route_url

ROUTES = ["people:person-edit", "rounds:order-history", "incidents:safety-plan-pdf"]


@pytest.mark.parametrize("name", ROUTES)
def test_a_link_is_what_reverse_gives(name: str) -> None:
    public_id = uuid4()
    assert record_url(name, public_id) == reverse(name, args=[public_id])
    # The id as text (a form's value) is reversed as the tag would.
    assert record_url(name, str(public_id)) == reverse(name, args=[public_id])


def test_the_script_prefix_is_part_of_the_link() -> None:
    public_id = uuid4()
    bare = record_url("people:person-edit", public_id)
    try:
        set_script_prefix("/pillars/")
        prefixed = record_url("people:person-edit", public_id)
        assert prefixed == reverse("people:person-edit", args=[public_id])
    finally:
        set_script_prefix("/")
    assert prefixed == "/pillars" + bare
    assert record_url("people:person-edit", public_id) == bare


def test_the_template_filter_matches_the_url_tag() -> None:
    person = {"public_id": uuid4()}
    filtered = Template(
        "{% load record_urls %}{{ person.public_id|record_url:'rounds:order-new' }}"
    ).render(Context({"person": person}))
    tagged = Template("{% url 'rounds:order-new' person.public_id %}").render(
        Context({"person": person})
    )
    assert filtered == tagged


def test_no_id_is_refused_as_reverse_refuses_it() -> None:
    with pytest.raises(NoReverseMatch):
        record_url("people:person-edit", None)


@pytest.mark.parametrize("name", ["core:home", "core:logout", "alerts:inbox"])
def test_a_route_without_arguments_is_what_reverse_gives(name: str) -> None:
    assert route_url(name) == reverse(name)
    rendered = Template("{% load record_urls %}{{ name|route_url }}").render(
        Context({"name": name})
    )
    assert rendered == Template("{% url name %}").render(Context({"name": name}))


def test_another_url_configuration_is_reversed_anew() -> None:
    assert route_url("core:home") == reverse("core:home")
    # The bench's URL configuration has no such route: the cached link is not reused.
    with override_settings(ROOT_URLCONF="pillars.core.bench_urls"), pytest.raises(NoReverseMatch):
        route_url("core:home")
    assert route_url("core:home") == reverse("core:home")


def test_a_request_looks_up_its_route_key_once_and_the_next_looks_it_up_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[str | None] = []
    get_urlconf = record_urls.get_urlconf

    def counted() -> str | None:
        looked_up.append(get_urlconf())
        return looked_up[-1]

    monkeypatch.setattr(record_urls, "get_urlconf", counted)
    public_id = uuid4()
    drawn: list[tuple[str, str]] = []

    def view(request: HttpRequest) -> HttpResponse:
        for _ in range(3):
            drawn.append((record_url("people:person-edit", public_id), route_url("core:home")))
        return HttpResponse()

    answer = middleware.RequestContextMiddleware(view)
    try:
        for prefix in ("/", "/pillars/"):
            set_script_prefix(prefix)  # as the WSGI handler sets it before the middleware runs
            answer(RequestFactory().get("/"))
    finally:
        set_script_prefix("/")
    edit, home = reverse("people:person-edit", args=[public_id]), reverse("core:home")
    assert drawn == [(edit, home)] * 3 + [("/pillars" + edit, "/pillars" + home)] * 3
    assert len(looked_up) == 2  # once per request
    # Outside a request every link looks it up.
    route_url("core:home")
    assert len(looked_up) == 3
