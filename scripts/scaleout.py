#!/usr/bin/env python
"""Scale-out proof on loopback: see harness/scaleout.py (``--help`` for options)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.scaleout import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
