"""Workforce forms: trainings."""

from __future__ import annotations
