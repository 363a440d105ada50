"""Workforce forms: wellbeing."""

from __future__ import annotations
