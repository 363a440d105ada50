"""Workforce forms: recognition."""

from __future__ import annotations
