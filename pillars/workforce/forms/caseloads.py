"""The bulk reassignment form: a receiver for each person (or keep), the reason, the note."""

from __future__ import annotations

from typing import Any

from django import forms

from pillars.core.formtools import TextAreaField
from pillars.workforce.models.caseloads import HandoverReason
from pillars.workforce.services.caseloads import MAX_NOTE


class ReassignForm(forms.Form):
    reason = forms.ChoiceField(label="Why the caseload moves", choices=HandoverReason.choices)
    note = TextAreaField(
        label="Handover note",
        max_length=MAX_NOTE,
        rows=5,
        help_text="Each receiver reads this beside the persons they take on.",
    )

    def __init__(
        self, *args: Any, assignments: list[Any], receivers: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Keep (do not move)")] + [(str(r.public_id), str(r)) for r in receivers]
        self.assignment_fields = []
        for a in assignments:
            name = f"to_{a.public_id}"
            self.fields[name] = forms.ChoiceField(
                label=f"{a.person.display_name} ({a.get_kind_display()}) goes to",
                choices=choices,
                required=False,
            )
            self.assignment_fields.append((a, name))
        self.order_fields([name for _, name in self.assignment_fields] + ["reason", "note"])
