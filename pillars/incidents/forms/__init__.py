"""Forms of the incidents app, one module per area."""
