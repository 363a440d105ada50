"""The page that adds a correction (an addendum) to a saved record, which itself never changes:
a check of an observation round, an ABC behavior record. The apps' views declare one
``Corrections`` a kind of record and call its ``page`` after their own scoped, audited read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse

from pillars.core.formtools import form_write, posted, saved


@dataclass(frozen=True)
class Corrections:
    """Corrections to one kind of record: ``form`` takes the reason and the text,
    ``add(record, actor=..., reason=..., text=...)`` is the app's service, ``template`` shows
    the record beside its corrections so far, and ``original`` names the record in the message
    that it is unchanged."""

    form: type[forms.Form]
    add: Callable[..., Any]
    template: str
    original: str

    def page(
        self, request: HttpRequest, record: Any, back: str, context: dict[str, Any]
    ) -> HttpResponse:
        """The form beside the record's corrections so far; once one is added, ``back`` (where
        Cancel goes too). ``context`` is what the template shows of the record."""
        form = self.form(posted(request))
        addenda = list(record.addenda.select_related("written_by"))
        return form_write(
            request,
            form,
            self.template,
            {**context, "addenda": addenda, "form": form, "back": back},
            lambda data: self.add(record, actor=request.user, **data),
            lambda _: saved(
                request,
                f"The correction is added. The original {self.original} is unchanged.",
                back,
            ),
        )
