"""Workforce forms: supervision."""

from __future__ import annotations
