"""Models of the restraint area."""

__all__: list[str] = []
