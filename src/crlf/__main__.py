"""``python -m crlf``: the same as the ``crlf`` command."""

from __future__ import annotations

import sys

from crlf.cli import main

if __name__ == "__main__":
    sys.exit(main())
