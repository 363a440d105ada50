"""What the incidents area adds to other apps' pages (person page sections, the unit board)."""


def install() -> None:
    pass
