"""Workforce forms: drift."""

from __future__ import annotations
