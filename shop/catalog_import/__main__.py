"""``python -m shop.catalog_import FILE [--url DB] [--dry-run]``: see :mod:`shop.catalog_import.cli`."""

import sys

from shop.catalog_import.cli import main

sys.exit(main())
