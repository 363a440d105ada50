"""Models of the behavior area."""

__all__: list[str] = []
