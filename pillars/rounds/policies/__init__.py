"""Policies of the rounds app, one module per area (each has ``ACTIONS`` and ``install``)."""
