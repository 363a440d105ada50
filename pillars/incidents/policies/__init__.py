"""Policies of the incidents app, one module per area (each has ``ACTIONS`` and ``install``)."""
