"""Template helpers for the unit board, where every row repeats the same controls: built in
Python once per row rather than node by node (the board is the page staff refresh all shift,
and its rows are re-rendered by every poll). What never changes (the option lists, the safety
choices, the check URL's shape) is built once per process."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from uuid import UUID

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ZERO = str(UUID(int=0))


@register.simple_tag
def choice_options(
    choices: Iterable[tuple[str, str]], selected: str, blank: str = ""
) -> SafeString:
    """``<option>`` elements for a select, the current value selected; a leading empty option
    labelled ``blank`` when nothing is selected yet. The same few lists repeat in every row of
    every poll (issue 13: row rendering was most of the board's time), so each rendering is
    built once per process."""
    return _options(_pairs(choices), selected, blank)


def _pairs(choices: Iterable[tuple[Any, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), str(label)) for v, label in choices)


@lru_cache(maxsize=512)
def _options(choices: tuple[tuple[str, str], ...], selected: str, blank: str) -> SafeString:
    head = format_html('<option value="">{}</option>', blank) if blank and not selected else ""
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )
    return SafeString(head + options)


@lru_cache(maxsize=8)
def _safety_fieldset(choices: tuple[tuple[str, str], ...]) -> SafeString:
    radios = format_html_join(
        "",
        '<label><input type="radio" name="safety_status" value="{}"{}> {}</label>',
        ((value, " checked" if n == 0 else "", label) for n, (value, label) in enumerate(choices)),
    )
    return format_html(
        '<fieldset class="choices safety-choices"><legend>Safety</legend>{}</fieldset>', radios
    )


@lru_cache(maxsize=1)
def _check_url_shape() -> str:
    return reverse("rounds:check-record", kwargs={"public_id": _ZERO})


@register.simple_tag(takes_context=True)
def check_forms(context: template.Context, row: Any, prefix: str = "") -> SafeString:
    """A row's check controls: the one-tap "safe" check (the person's state, else the last
    location and activity) and the form for anything else, which works without JavaScript too
    (a plain post, redirected back). Built here in one pass per row; the option lists and the
    safety choices are built once per process."""
    oid = str(row.order.public_id)
    action = _check_url_shape().replace(_ZERO, oid)
    token = str(context.get("csrf_token") or "")
    csrf = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        if token and token != "NOTPROVIDED"
        else ""
    )
    new_id = context.get("new_client_id")
    back = context.get("back_url", "")
    name = row.name
    parts: list[str] = []
    if row.has_tap:
        parts.append(
            format_html(
                '<form class="one-tap" method="post" action="{}" data-order="{}">{}'
                '<input type="hidden" name="client_id" value="{}">'
                '<input type="hidden" name="location" value="{}">'
                '<input type="hidden" name="activity" value="{}">'
                '<input type="hidden" name="safety_status" value="safe">'
                '<input type="hidden" name="next" value="{}">'
                '<button type="submit" class="tap">'
                '<span class="tap-main"><span aria-hidden="true">✓</span> Safe'
                '<span class="visually-hidden">: check {}</span></span>'
                '<span class="tap-detail">{}, {}</span></button></form>',
                action,
                oid,
                csrf,
                new_id() if callable(new_id) else "",
                row.tap_location,
                row.tap_activity,
                back,
                name,
                row.tap_location_label,
                row.tap_activity_label,
            )
        )
    field = f"{prefix}{oid}"
    parts.append(
        format_html(
            '<details class="check-more"{}><summary>{}'
            '<span class="visually-hidden"> for {}</span></summary>'
            '<form class="check-form" method="post" action="{}" data-order="{}">{}'
            '<input type="hidden" name="client_id" value="{}">'
            '<input type="hidden" name="next" value="{}">'
            '<div class="field"><label for="loc-{}">Where</label>'
            '<select id="loc-{}" name="location" required>{}</select></div>'
            '<div class="field"><label for="act-{}">Doing</label>'
            '<select id="act-{}" name="activity" required>{}</select></div>'
            "{}"
            '<div class="field"><label for="note-{}">Note <span class="optional">(optional)</span>'
            '</label><input id="note-{}" name="note" maxlength="500" autocomplete="off"></div>'
            '<button type="submit">Save check<span class="visually-hidden"> for {}</span></button>'
            "</form></details>",
            "" if row.has_tap and not context.get("errors") else mark_safe(" open"),
            "Something else" if row.has_tap else "First check",
            name,
            action,
            oid,
            csrf,
            new_id() if callable(new_id) else "",
            back,
            field,
            field,
            _options(_pairs(context.get("locations") or ()), row.tap_location, "Choose where"),
            field,
            field,
            _options(_pairs(context.get("activities") or ()), row.tap_activity, "Choose what"),
            _safety_fieldset(_pairs(context.get("safety_statuses") or ())),
            field,
            field,
            name,
        )
    )
    return SafeString("".join(parts))
