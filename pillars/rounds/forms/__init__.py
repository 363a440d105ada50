"""Forms for the rounds pages, one module per area: they parse shape; services decide rules."""
