"""Forms for writing a safety plan with the person served and signing it.

Text sections are typed one entry per line; contact sections have a fixed number of name and
phone rows, so the page needs no script. The service checks everything again.
"""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import DateInput, DayField, TextAreaField, plan_sign_form
from pillars.incidents.models.safety import CONTACT_SECTIONS, PersonSignature, PlanSection
from pillars.incidents.services.safety import MAX_ENTRIES, MAX_TEXT

CONTACT_ROWS = 5

HINTS = {
    PlanSection.WARNING_SIGNS: "Thoughts, feelings or situations that tell you a crisis may be "
    "coming. One per line.",
    PlanSection.ON_MY_OWN: "Things that help you feel calmer without anyone else. One per line.",
    PlanSection.PEOPLE_PLACES: "People to be with or places to go that take your mind off "
    "things. One per line.",
    PlanSection.ASK_FOR_HELP: "People you trust to call when you need help.",
    PlanSection.PROFESSIONALS: "Your care team and crisis lines. 988 is listed to start with.",
    PlanSection.SAFER_SURROUNDINGS: "Ways to keep things you could hurt yourself with away, "
    "and who helps. One per line.",
    PlanSection.REASONS: "What matters most to you. One per line.",
}


class PlanForm(forms.Form):
    """One field per text section, and name/phone pairs for the contact sections."""

    review_on = DayField(label="Review the plan together on", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in PlanSection.choices:
            if code in CONTACT_SECTIONS:
                for n in range(CONTACT_ROWS):
                    self.fields[f"{code}_name_{n}"] = forms.CharField(
                        label=f"{label}: name {n + 1}", required=False, max_length=200
                    )
                    self.fields[f"{code}_phone_{n}"] = forms.CharField(
                        label=f"{label}: phone {n + 1}", required=False, max_length=40
                    )
            else:
                self.fields[code] = TextAreaField(
                    label=label,
                    required=False,
                    # The service's own limits, so the textarea never lets in more than it
                    # keeps: at most MAX_ENTRIES lines of MAX_TEXT characters.
                    max_length=MAX_ENTRIES * (MAX_TEXT + 1) - 1,
                    help_text=f"{HINTS[PlanSection(code)]} Up to {MAX_ENTRIES} lines of "
                    f"{MAX_TEXT} characters.",
                )

    @staticmethod
    def initial_from(content: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for code in PlanSection.values:
            entries = content.get(code, [])
            if code in CONTACT_SECTIONS:
                for n, entry in enumerate(entries[:CONTACT_ROWS]):
                    initial[f"{code}_name_{n}"] = entry.get("name", "")
                    initial[f"{code}_phone_{n}"] = entry.get("phone", "")
            else:
                initial[code] = "\n".join(e.get("text", "") for e in entries)
        return initial

    def content(self) -> dict[str, list[dict[str, str]]]:
        """The entries as the service takes them (blank lines and rows dropped there)."""
        data = self.cleaned_data
        content: dict[str, list[dict[str, str]]] = {}
        for code in PlanSection.values:
            if code in CONTACT_SECTIONS:
                content[code] = [
                    {"name": data[f"{code}_name_{n}"], "phone": data[f"{code}_phone_{n}"]}
                    for n in range(CONTACT_ROWS)
                ]
            else:
                content[code] = [{"text": line} for line in data[code].splitlines()]
        return content

    def contact_rows(self) -> list[dict[str, Any]]:
        """The contact sections with their rows of bound fields, for the template."""
        return [
            {
                "code": code,
                "label": label,
                "hint": HINTS[PlanSection(code)],
                "rows": [
                    (self[f"{code}_name_{n}"], self[f"{code}_phone_{n}"])
                    for n in range(CONTACT_ROWS)
                ],
                "errors": self.errors.get(code, []),
            }
            for code, label in PlanSection.choices
            if code in CONTACT_SECTIONS
        ]

    def text_fields(self) -> list[Any]:
        return [self[code] for code in PlanSection.values if code not in CONTACT_SECTIONS]


SignForm = plan_sign_form(PersonSignature.choices, staff_as="the staff member")
