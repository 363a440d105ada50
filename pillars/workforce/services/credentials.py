"""Workforce writes: credentials. Each checks permission, runs in a transaction and audits."""

from __future__ import annotations
