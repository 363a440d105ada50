"""Reads in the incidents app scoped to the user, one module per area."""
