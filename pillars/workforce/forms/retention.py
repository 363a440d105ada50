"""Workforce forms: retention."""

from __future__ import annotations
