"""Template helpers for the unit board, where every row repeats the same controls: built in
Python once per row rather than node by node (the board is the page staff refresh all shift)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def choice_options(
    choices: Iterable[tuple[str, str]], selected: str, blank: str = ""
) -> SafeString:
    """``<option>`` elements for a select, the current value selected; a leading empty option
    labelled ``blank`` when nothing is selected yet."""
    head = format_html('<option value="">{}</option>', blank) if blank and not selected else ""
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )
    return SafeString(head + options)
