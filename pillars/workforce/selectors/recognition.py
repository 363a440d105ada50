"""Workforce reads: recognition, scoped by the policy layer and audited."""

from __future__ import annotations
