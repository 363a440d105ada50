"""One entry shape for pages and API handlers: find the record for the actor, call one service,
answer.

``get_for`` is the one way a page or a handler turns a public id into a record: 404 when there
is no such record or the actor may not know it exists, 403 when it is visible but the action is
not theirs (the policy layer decides both, ``pillars.core.policy.require``). Selectors that add
no more than a ``select_related`` call it; the ones that also audit a read of a person served
call it first and then record the read. ``named_in`` is its counterpart for a record a body
names (a goal, a room, a course by code): one that is not among those it may name is that
field's error (422), since the body is wrong, not the URL.

``Out`` is the base of API output schemas: it reads the schema's declared fields off the record
(django-ninja's attribute reading, with a schema's ``resolve_<field>`` methods for what is not a
plain attribute, and its ``paths`` for a field read through related records), so a schema
declares its fields once (its OpenAPI shape) and copies none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self, get_args
from uuid import UUID

from django.db import models
from django.http import Http404
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, ValidationInfo, field_validator, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from pillars.core import policy
from pillars.core.errors import invalid


def public_id_of(value: Any) -> UUID:
    """A public id from a URL or a body; anything that is not a UUID names nothing (404)."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("Not found") from None


def one_row[M: models.Model](queryset: models.QuerySet[M]) -> M | None:
    """The row of a query that names one record (a unique key: a public id, a token's hash),
    or None. ``first()`` would order it first, and building that ORDER BY costs more than
    reading the row."""
    return next(iter(queryset.order_by()[:1]), None)


def get_for[M: models.Model](
    source: type[M] | models.QuerySet[M],
    user: Any,
    public_id: Any,
    action: str,
    *,
    via: Callable[[M], Any] | None = None,
) -> M:
    """The record with this public id on which the actor may take ``action``.

    ``source`` is a model or a queryset (with the ``select_related`` the caller needs). 404 when
    there is none or it is out of the actor's scope, 403 when visible but not allowed. ``via``
    names the record the policy decides on when it is another one (a check's order)."""
    queryset = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    found = one_row(queryset.filter(public_id=public_id_of(public_id)))
    if found is None:
        raise Http404("Not found")
    policy.require(user, action, found if via is None else via(found))
    return found


def named_in[M: models.Model](
    source: type[M] | models.QuerySet[M],
    field: str,
    value: Any,
    message: str,
    *,
    key: str = "public_id",
) -> M:
    """The record of ``source`` that a body's ``field`` names (by public id, or by ``key``).

    Unlike ``get_for``'s id from the URL, a name in the body that matches none of the records
    it may name is that field's error (422 with ``message``), not a 404."""
    queryset = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    found = queryset.filter(**{key: value}).first()
    if found is None:
        raise invalid(field, message)
    return found


def optional_named_in[M: models.Model](
    source: type[M] | models.QuerySet[M], field: str, value: Any, message: str
) -> M | None:
    """``named_in`` by public id for a field that may be left out (``None`` names no record)."""
    return None if value is None else named_in(source, field, value, message)


class Out(Schema):
    """An API output schema read off a record: each declared field is the record's attribute of
    that name (a method is called), a ``resolve_<field>`` static method where it is not, and a
    record where the field is a UUID is named by its public id (integer keys never leave the
    server). ``of(record, **extra)`` makes one; ``extra`` reaches resolvers that take
    ``context`` (a moment the caller computed, a placement found beside the record).

    ``paths`` maps a field to the dotted path it is read from through related records
    (``{"written_by": "written_by.display_name"}``); a link that is ``None`` reads as ``None``.

    ``at_now`` maps a field to the record's method of a moment that gives it, called with the
    moment the caller passed as ``now`` (``{"status": "status_at"}``, read with
    ``of(record, now=now)``)."""

    paths: ClassVar[dict[str, str]] = {}
    at_now: ClassVar[dict[str, str]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Any:
        # A schema already made (a handler's answer, validated again by the response) is kept
        # as it is: its resolvers read records, not schemas.
        if isinstance(values, BaseModel):
            return handler(values)
        return handler(_Reader(values, cls, info.context))

    @field_validator("*", mode="before")
    @classmethod
    def _record_by_public_id(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, models.Model) and info.field_name in _uuid_fields(cls):
            return getattr(value, "public_id", value)
        return value

    @classmethod
    def of(cls, record: Any, **extra: Any) -> Self:
        return cls.model_validate(record, context=extra)


class _Reader(DjangoGetter):
    """A record as an ``Out`` schema reads it: a field in the schema's ``at_now`` is its method
    called with the caller's ``now``, a field in its ``paths`` is followed link by link, any
    other field is read as django-ninja reads it. Values given by name (a schema made with
    keyword arguments) are taken as given."""

    def __getattr__(self, key: str) -> Any:
        method = self._schema_cls.at_now.get(key)  # type: ignore[attr-defined]
        if method is not None and not isinstance(self._obj, dict):
            return self._convert_result(getattr(self._obj, method)(self._context["now"]))
        path = self._schema_cls.paths.get(key)  # type: ignore[attr-defined]
        if path is None or isinstance(self._obj, dict):
            return super().__getattr__(key)
        value = self._obj
        for name in path.split("."):
            if value is None:
                break
            value = getattr(value, name)
        return self._convert_result(value)


def _uuid_fields(schema: type[BaseModel]) -> frozenset[str]:
    """The fields of a schema that hold one public id (``UUID`` or ``UUID | None``)."""
    found = _UUID_FIELDS.get(schema)
    if found is None:
        found = frozenset(
            name
            for name, field in schema.model_fields.items()
            if field.annotation is UUID or set(get_args(field.annotation)) == {UUID, type(None)}
        )
        _UUID_FIELDS[schema] = found
    return found


_UUID_FIELDS: dict[type[BaseModel], frozenset[str]] = {}
