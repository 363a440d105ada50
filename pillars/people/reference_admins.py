"""Other apps' reference data in the admin: their models join the reference data that
``people.services.save_reference`` saves (every save audited, nothing deleted), and each gets
its admin class (a ``people.admin.ReferenceAdmin``) once."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models


def register_reference_admins(*pairs: tuple[type[models.Model], type[Any]]) -> None:
    """Add each (model, admin class) to the reference data and register it in the admin,
    unless it is there already (an app's ``ready`` may run more than once in tests)."""
    from pillars.people.services import add_reference_models

    add_reference_models(*(model for model, _ in pairs))
    for model, model_admin in pairs:
        if not admin.site.is_registered(model):
            admin.site.register(model, model_admin)
