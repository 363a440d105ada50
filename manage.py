#!/usr/bin/env python
"""Same as the installed ``pillars`` command."""

from pillars.manage import main

if __name__ == "__main__":
    main()
