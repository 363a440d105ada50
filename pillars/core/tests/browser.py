"""What browser tests share: signing in through the real sign-in page."""

from __future__ import annotations

import re
from typing import Any

from pillars.people.testing import PASSWORD

HOME = re.compile(r"/$")


def sign_in(page: Any, username: str, *, lands_on: re.Pattern[str] | None = HOME) -> None:
    """Sign in as a user of the test world (password ``PASSWORD``) and wait until the browser
    lands on ``lands_on`` (home unless told; None waits for nothing)."""
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if lands_on is not None:
        page.wait_for_url(lands_on)
