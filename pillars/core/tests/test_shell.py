"""Every page's frame (``core.context_processors.shell`` and base.html): a signed-in page has
the top bar with the reader's name, the idle timer's seconds and the hidden Part 2 notice; a
page before sign-in has none of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from pillars.core import exports
from pillars.core.context_processors import shell
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_has_the_top_bar_the_timer_and_the_hidden_notice(
    world: World, signed_in: Any
) -> None:
    body = signed_in("nurse").get(reverse("people:person-list")).content.decode()
    assert f"<span>{world.staff['nurse'].display_name}</span>" in body
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"' in body
    assert f'data-still-here-url="{reverse("core:still-here")}"' in body
    assert "data-part2-notice hidden>" in body
    assert "Sign out" in body


def test_a_page_before_sign_in_has_none_of_it(world: World) -> None:
    body = Client().get(reverse("core:login")).content.decode()
    assert "data-idle-seconds" not in body
    assert "data-part2-notice" not in body
    assert "Sign out" not in body


def test_the_name_shown_is_the_staff_profiles_else_the_username(world: World) -> None:
    request = RequestFactory().get("/")
    request.user = world.user("nurse")
    assert str(shell(request)["signed_in_as"]) == world.staff["nurse"].display_name
    request.user = get_user_model().objects.create_user(username="no-profile")
    frame = shell(request)
    assert frame["signed_in"] is True
    assert str(frame["signed_in_as"]) == "no-profile"
    request.user = AnonymousUser()
    assert "signed_in" not in shell(request)


def test_the_frames_links_and_notice_before_and_after_sign_in(world: World, signed_in: Any) -> None:
    before = Client().get(reverse("core:login")).content.decode()
    assert f'<a class="brand" href="{reverse("core:home")}">Pillars</a>' in before
    after = signed_in("nurse").get(reverse("people:person-list")).content.decode()
    assert f'<a class="brand" href="{reverse("core:home")}">Pillars</a>' in after
    assert f'<a class="inbox-link" href="{reverse("alerts:inbox")}">Alerts' in after
    assert f'<a href="{reverse("tablets:pin")}">Badge PIN</a>' in after
    assert f'<a href="{reverse("core:token-list")}">API tokens</a>' in after
    assert f'<form method="post" action="{reverse("core:logout")}">' in after
    assert f"<p>{escape(exports.NOTICE)}</p>" in after
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert shell(request)["frame_urls"]["home"] == reverse("core:home")
