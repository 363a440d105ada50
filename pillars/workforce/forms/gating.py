"""Workforce forms: gating."""

from __future__ import annotations
