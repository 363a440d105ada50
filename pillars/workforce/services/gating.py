"""Workforce writes: gating. Each checks permission, runs in a transaction and audits."""

from __future__ import annotations
