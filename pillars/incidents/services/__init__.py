"""Writes in the incidents app, one module per area (import the area module)."""
