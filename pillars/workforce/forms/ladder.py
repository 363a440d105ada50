"""Workforce forms: ladder."""

from __future__ import annotations
