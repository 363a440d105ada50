"""Hooks into other apps' pages, one module per area (each has ``install``)."""
