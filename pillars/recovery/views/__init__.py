"""Recovery pages, one module per area."""
