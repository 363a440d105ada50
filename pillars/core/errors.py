"""Errors that services raise and every interface (page, API, command) shows the same way."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class MessageError(Exception):
    """An error that carries the one sentence shown to the person (``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(MessageError):
    """The request clashes with the current state (a replayed key with another body, a bed that
    someone else took a moment ago)."""


def invalid(field: str | None, message: str) -> ValidationError:
    """A ValidationError tied to a field (or to the whole request when field is None)."""
    return ValidationError({field: [message]} if field else message)


__all__ = ["Conflict", "MessageError", "ValidationError", "invalid"]
