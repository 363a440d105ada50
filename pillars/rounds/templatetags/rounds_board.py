"""Template helpers for the unit board, where every row repeats the same controls: built in
Python once per row rather than node by node (the board is the page staff refresh all shift)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def choice_options(
    choices: Iterable[tuple[str, str]], selected: str, blank: str = ""
) -> SafeString:
    """``<option>`` elements for a select, the current value selected; a leading empty option
    labelled ``blank`` when nothing is selected yet. The same few lists repeat in every row of
    every poll (issue 13: row rendering was most of the board's time), so each rendering is
    built once per process."""
    return _options(tuple((str(v), str(label)) for v, label in choices), selected, blank)


@lru_cache(maxsize=512)
def _options(choices: tuple[tuple[str, str], ...], selected: str, blank: str) -> SafeString:
    head = format_html('<option value="">{}</option>', blank) if blank and not selected else ""
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )
    return SafeString(head + options)
