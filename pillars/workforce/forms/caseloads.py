"""Workforce forms: caseloads."""

from __future__ import annotations
