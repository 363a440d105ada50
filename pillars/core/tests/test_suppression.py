"""Small-cell suppression: small groups and their complements are hidden."""

from __future__ import annotations

from pillars.core import suppression
from pillars.core.suppression import COMPLEMENT, SMALL


def test_thresholds_are_five_on_screen_and_eleven_in_exports() -> None:
    assert suppression.threshold("screen") == 5
    assert suppression.threshold("export") == 11
    assert suppression.suppressed({"a": 4, "b": 5, "c": 6}, "screen", total_shown=False) == {
        "a": SMALL
    }
    assert suppression.suppressed({"a": 10, "b": 11}, "export", total_shown=False) == {"a": SMALL}


def test_one_hidden_group_beside_a_total_hides_the_next_smallest() -> None:
    hidden = suppression.suppressed({"a": 30, "b": 2, "c": 7, "d": 9}, "screen")
    assert hidden == {"b": SMALL, "c": COMPLEMENT}


def test_two_hidden_groups_cover_each_other() -> None:
    assert suppression.suppressed({"a": 30, "b": 2, "c": 3}, "screen") == {"b": SMALL, "c": SMALL}


def test_an_empty_group_covers_nothing() -> None:
    # Total minus "a" would be "b" plus an empty group, that is "b" itself.
    hidden = suppression.suppressed({"a": 30, "b": 2, "e": 0, "c": 8}, "screen")
    assert hidden == {"b": SMALL, "e": SMALL, "c": COMPLEMENT}


def test_nothing_hidden_when_every_group_is_large_enough() -> None:
    assert suppression.suppressed({"a": 5, "b": 50}, "screen") == {}


def test_a_group_that_is_another_cut_minus_the_shown_groups_is_covered() -> None:
    """Team Y is unit C minus team X: with X and C both shown, Y would come back, so the
    smallest shown group is hidden too; where no combination gives a small group back, nothing
    more is hidden."""
    from pillars.core.suppression import COMPLEMENT, SMALL, suppressed_across

    cells = {"team:X": {"a"}, "team:Y": {"b"}, "unit:C": {"a", "b"}, "unit:D": {"c"}}
    sizes = {"team:X": 6, "team:Y": 3, "unit:C": 9, "unit:D": 7}
    assert suppressed_across(cells, sizes, {"team:Y": SMALL}) == {
        "team:Y": SMALL,
        "team:X": COMPLEMENT,
    }
    # Two teams that only ever appear together (both in unit C, neither shown) stay hidden as
    # they are: nothing shown separates them.
    assert suppressed_across(
        cells, sizes, {"team:Y": SMALL, "team:X": COMPLEMENT, "unit:C": COMPLEMENT}
    ) == {"team:Y": SMALL, "team:X": COMPLEMENT, "unit:C": COMPLEMENT}
