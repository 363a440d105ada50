"""Models of the incidents area."""

__all__: list[str] = []
