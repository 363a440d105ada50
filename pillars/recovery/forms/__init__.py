"""Forms of the recovery pages, one module per area; what several of them share is here."""

from __future__ import annotations

import uuid

from django import forms


def replay_key() -> forms.UUIDField:
    """A key made when the form is shown and sent back hidden, for a service that is replay-safe
    by ``client_id``: the same form sent twice (a double tap, a resend after a slow answer) is
    one write, not two (DESIGN.md rule 7). Without a label, a page's field loop draws only the
    hidden input; a form posted without one (an old page) is written as before."""
    return forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4, label="")
