"""``python -m leonardo_blender.cli``: run the command line and exit with its status."""

from __future__ import annotations

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
