"""Migration operations that give many models their organization at once (people.tenancy).

Django's ``AddField`` and ``AlterField`` re-render every model related to the field's target
after each operation; for a link to the organization, which a hundred models hold, that made
``migrate`` twice as slow. These change the state of all the named models, then render them
once, and run the same schema changes as the one-model operations."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import models
from django.db.migrations.operations.base import Operation


def organization_field(*, null: bool) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="people.organization",
    )


class _Organizations(Operation):
    """The organization link on ``model_names`` of the migration's app: added (``null``
    allowed) by ``AddOrganizations``, made required by ``RequireOrganizations``."""

    reversible = True
    null = True

    def __init__(self, model_names: list[str]) -> None:
        self.model_names = [name.lower() for name in model_names]

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.model_names], {}

    def state_forwards(self, app_label: str, state: Any) -> None:
        for name in self.model_names:
            key = (app_label, name)
            field = organization_field(null=self.null)
            fields = state.models[key].fields
            if state._relations is not None and "organization" in fields:
                state.resolve_model_field_relations(key, "organization", fields.pop("organization"))
            fields["organization"] = field
            if state._relations is not None:
                state.resolve_model_field_relations(key, "organization", field)
        state.reload_models([(app_label, name) for name in self.model_names], delay=False)

    def _pairs(self, app_label: str, from_state: Any, to_state: Any) -> list[tuple[Any, Any]]:
        return [
            (from_state.apps.get_model(app_label, n), to_state.apps.get_model(app_label, n))
            for n in self.model_names
        ]

    def _migrated(self, app_label: str, schema_editor: Any, state: Any) -> list[Any]:
        """The named models as ``state`` has them, each one the database router lets this
        database migrate."""
        alias = schema_editor.connection.alias
        found = [state.apps.get_model(app_label, n) for n in self.model_names]
        return [model for model in found if self.allow_migrate_model(alias, model)]

    def describe(self) -> str:
        return f"{self.__class__.__name__} on {len(self.model_names)} models"


class AddOrganizations(_Organizations):
    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        for model in self._migrated(app_label, schema_editor, to_state):
            schema_editor.add_field(model, model._meta.get_field("organization"))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        for model in self._migrated(app_label, schema_editor, to_state):
            schema_editor.remove_field(model, model._meta.get_field("organization"))


class RequireOrganizations(_Organizations):
    null = False

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._alter(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._alter(app_label, schema_editor, to_state, from_state)

    def _alter(self, app_label: str, schema_editor: Any, old_state: Any, new_state: Any) -> None:
        """Change each model's organization link from its form in ``old_state`` to the one in
        ``new_state`` (required forwards, nullable backwards)."""
        for old, new in self._pairs(app_label, old_state, new_state):
            if self.allow_migrate_model(schema_editor.connection.alias, new):
                schema_editor.alter_field(
                    new, old._meta.get_field("organization"), new._meta.get_field("organization")
                )
