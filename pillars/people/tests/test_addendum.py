"""The one check every correction (addendum) passes before it is stored."""

from __future__ import annotations

import pytest

from pillars.core.errors import ValidationError
from pillars.people.models import Addendum


def test_reason_and_text_are_trimmed() -> None:
    assert Addendum.cleaned("  typo \n", "\tIt was 14:05. ", about="the check", max_text=20) == (
        "typo",
        "It was 14:05.",
    )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        Addendum.cleaned("   ", None, about="the check", max_text=20)
    assert raised.value.message_dict == {
        "reason": ["Say why the check needs a correction."],
        "text": ["Write the correction."],
    }


def test_limits_are_named() -> None:
    with pytest.raises(ValidationError) as raised:
        Addendum.cleaned("r" * 301, "t" * 21, about="the report", max_text=20)
    assert raised.value.message_dict == {
        "reason": ["A reason is at most 300 characters."],
        "text": ["A correction is at most 20 characters."],
    }
    assert Addendum.cleaned("r" * 300, "t" * 20, about="the report", max_text=20)[1] == "t" * 20
