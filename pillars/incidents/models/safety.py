"""Models of the safety area."""

__all__: list[str] = []
