"""Workforce forms: credentials."""

from __future__ import annotations
