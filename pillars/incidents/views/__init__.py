"""Pages of the incidents app, one module per area; each lists its own routes."""
